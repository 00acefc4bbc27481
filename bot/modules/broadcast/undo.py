"""Stop and delete, and edit after sending: what /deletebroadcast, /editbroadcast and the
console's delete and edit call.

Both work through the outbox, at the bulk rate, one row per delivered copy, written with one
``INSERT ... SELECT`` (per language for an edit) from the broadcast's sent rows, which keep the
copy's ``message_id`` and ``sent_at``:

- a delete first cancels what still waits (as a cancel does), then queues a ``deleteMessage``
  keyed ``broadcast-delete:<id>:<user>`` for every copy delivered less than 48 hours ago
  (Telegram lets a bot delete its messages in a private chat for 48 hours); older copies are
  counted and reported, they stay;
- an edit stores the corrected text as the broadcast's next version (``broadcast_edits``),
  rewrites the copies that still wait (they go out corrected) and queues an
  ``editMessageText`` keyed ``broadcast-edit:<id>:<version>:<user>`` for every delivered copy,
  in its recipient's language, built exactly as the announcement was (``service.announcement``).

The keys are unique, so asking twice queues nothing twice, and the rows are in the database,
so a restart carries on where the sender was. Telegram's "message to delete not found" (the
recipient deleted it already) counts as deleted, "message is not modified" as edited. Copies
still with the sender at the moment of the action are caught by a second pass once they are
recorded (``_again``), in this process; the same command again catches any later.

The rows' category, ``broadcast-undo``, is not one of the optional categories: neither the
announcements toggle nor quiet hours hold a deletion or a correction.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    String,
    Text,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from telegram import Update

from bot.core.context import BotContext, Services
from bot.core.delivery import MAX_TEXT, OutboxMessage, OutboxStatus, Priority, utf16_len
from bot.core.kernel import SERIAL_MAX, ascii_int, get_logger, insert_ignoring, rowcount
from bot.core.people import N_, User, _, language_column, languages, ngettext, number, speaking
from bot.core.telegram import admin_commands, command_body
from bot.core.web import ConsoleRoute
from bot.modules.broadcast import control
from bot.modules.broadcast.edit_models import BroadcastEdit
from bot.modules.broadcast.models import Broadcast
from bot.modules.broadcast.service import COLUMNS, PAUSED, announcement, of_broadcast

log = get_logger(__name__)
UNDO = "broadcast-undo"  # the category of the rows: transactional (not listed as optional)
DELETABLE = timedelta(hours=48)  # how long Telegram lets a bot delete its private messages
SUPERSEDED = "superseded by a later edit"  # last_error of an older version's waiting edits
AGAIN_EVERY = 0.5  # seconds between two looks at the copies still with the sender
# Telegram's answers that mean the work is done: the copy is already gone, or already reads so.
GONE = "message to delete not found"
UNCHANGED = "message is not modified"
TOO_OLD = ("can't be deleted", "message can't be deleted for everyone")
_again: set[asyncio.Task[Any]] = set()


class TooLong(Exception):
    """The corrected announcement does not fit in one message."""


def delete_prefix(broadcast_id: int) -> str:
    return f"broadcast-delete:{broadcast_id}:"


def edit_prefix(broadcast_id: int, version: int | None = None) -> str:
    return f"broadcast-edit:{broadcast_id}:" + ("" if version is None else f"{version}:")


@dataclass(frozen=True, slots=True)
class Undone:
    """Where a broadcast's deletions and edits stand, read from their outbox rows."""

    deleted: int = 0  # copies deleted (or found already gone)
    deleting: int = 0  # deletions waiting or with the sender
    not_deletable: int = 0  # delivered more than 48 hours ago and not deleted, or refused
    delete_failed: int = 0  # a deletion that failed otherwise (the user blocked the bot...)
    version: int = 0  # the latest edit's number, 0: never edited
    edited: int = 0  # copies that read the latest version (or already did)
    editing: int = 0  # edits waiting or with the sender
    edit_failed: int = 0  # an edit refused (the copy was deleted, the user blocked the bot...)

    def render(self) -> str:
        lines = []
        if self.deleted or self.deleting or self.delete_failed:
            lines.append(
                _("Deleted {deleted} · deleting {deleting} · failed {failed}").format(
                    deleted=number(self.deleted),
                    deleting=number(self.deleting),
                    failed=number(self.delete_failed),
                )
            )
        if self.not_deletable:
            lines.append(_old(self.not_deletable))
        if self.version:
            lines.append(
                _("Edit {version}: edited {edited} · editing {editing} · failed {failed}").format(
                    version=self.version,
                    edited=number(self.edited),
                    editing=number(self.editing),
                    failed=number(self.edit_failed),
                )
            )
        return "\n".join(lines)

    def as_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Deleted:
    broadcast_id: int
    cancelled: int  # waiting copies taken off the queue
    queued: int  # deletions queued by this call
    old: int  # delivered copies older than 48 hours: they stay
    undone: Undone


@dataclass(frozen=True, slots=True)
class Edited:
    broadcast_id: int
    version: int  # 0: the broadcast was never edited and already reads so
    queued: int  # edits of delivered copies queued by this call
    rewritten: int  # waiting copies that will go out with the new text
    undone: Undone


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _json(session: AsyncSession, **fields: Any) -> ColumnElement[Any]:
    """A JSON object built in SQL from columns (the payload of an INSERT ... SELECT or an
    UPDATE), without the fields that are NULL."""
    args: list[Any] = []
    for name, value in fields.items():
        args += [literal_column(f"'{name}'"), value]
    if _postgres(session):
        return func.json_strip_nulls(func.json_build_object(*args), type_=JSON)
    return func.json_patch("{}", func.json_object(*args), type_=JSON)  # a patch drops nulls


def _markup(session: AsyncSession) -> ColumnElement[Any]:
    """The buttons under the row's copy (its payload's ``reply_markup``), kept by an edit."""
    o = OutboxMessage
    if _postgres(session):
        return o.payload.op("->")(literal_column("'reply_markup'"))
    return func.json_extract(o.payload, literal_column("'$.reply_markup'"))


def _text(value: str) -> ColumnElement[str]:
    return cast(literal(value, Text), Text)  # typed for PostgreSQL's json_build_object


def _delivered(session: AsyncSession, broadcast_id: int) -> list[Any]:
    """The broadcast's copies that reached their chat, with the id of the message."""
    o = OutboxMessage
    return [
        *of_broadcast(session, broadcast_id),
        o.status == OutboxStatus.SENT,
        o.message_id.is_not(None),
        o.user_id.is_not(None),
    ]


def _row(
    key: ColumnElement[str], method: str, payload: ColumnElement[Any], now: datetime
) -> list[Any]:
    o = OutboxMessage
    return [
        key,
        o.chat_id,
        o.user_id,
        literal(UNDO),
        literal(method),
        payload,
        literal(Priority.BROADCAST),
        literal(OutboxStatus.PENDING.value),
        literal(0),
        literal(now, o.next_attempt_at.type),
        literal(now, o.created_at.type),
    ]


async def _insert(session: AsyncSession, rows: Any) -> int:
    statement = insert_ignoring(session, OutboxMessage, index_elements=["key"])
    return rowcount(await session.execute(statement.from_select(COLUMNS, rows)))


async def _broadcast(session: AsyncSession, broadcast_id: int) -> Broadcast:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise control.Unknown(broadcast_id)
    return broadcast


# -- stop and delete ----------------------------------------------------------------------


async def queue_deletions(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    """Queue a ``deleteMessage`` for every copy delivered less than 48 hours ago that has
    none yet; how many were queued."""
    o = OutboxMessage
    key = literal(delete_prefix(broadcast_id)) + cast(o.user_id, String)
    rows = select(*_row(key, "deleteMessage", _json(session, message_id=o.message_id), now))
    rows = rows.where(*_delivered(session, broadcast_id), o.sent_at > now - DELETABLE)
    return await _insert(session, rows)


async def delete_rows(session: AsyncSession, broadcast_id: int, now: datetime) -> Deleted:
    """Cancel what still waits, queue the deletions, count the copies too old to delete."""
    await _broadcast(session, broadcast_id)
    cancelled = await control.cancel_waiting(session, broadcast_id, now)
    queued = await queue_deletions(session, broadcast_id, now)
    o = OutboxMessage
    old = await session.scalar(
        select(func.count())
        .select_from(o)
        .where(*_delivered(session, broadcast_id), o.sent_at <= now - DELETABLE)
    )
    return Deleted(
        broadcast_id, cancelled, queued, old or 0, await undone(session, broadcast_id, now)
    )


async def delete(services: Services, broadcast_id: int, user_id: int) -> Deleted:
    """Stop the broadcast and delete its delivered copies (``Unknown`` if there is none)."""
    async with services.db.session() as session:
        deleted = await delete_rows(session, broadcast_id, services.clock.now())
    log.info(
        "broadcast stopped and deleted",
        broadcast_id=broadcast_id,
        cancelled=deleted.cancelled,
        queued=deleted.queued,
        old=deleted.old,
        user_id=user_id,
    )
    control.watch(services, broadcast_id)  # rows that come back from the sender: cancelled

    async def again(session: AsyncSession) -> int:
        return await queue_deletions(session, broadcast_id, services.clock.now())

    _after_flight(services, broadcast_id, again)
    return deleted


# -- edit after sending -------------------------------------------------------------------


def fits(text: str) -> bool:
    """Whether the announcement with ``text`` fits in one message in every language (an edit
    replaces one message; a longer one was sent as several)."""
    for language in languages():
        with speaking(language):
            if utf16_len(announcement(text)) > MAX_TEXT:
                return False
    return True


async def apply_edit(
    session: AsyncSession, broadcast_id: int, version: int, text: str, now: datetime
) -> tuple[int, int]:
    """Version ``version`` (``text``) of the broadcast onto its copies: the waiting ones are
    rewritten, an edit is queued for each delivered one without one for this version, and the
    waiting edits of older versions are dropped. (queued, rewritten)."""
    o = OutboxMessage
    reads = language_column()
    queued = rewritten = 0
    for language in languages():
        with speaking(language):
            body = announcement(text)
        speakers = select(User.id).where(reads == language)
        waiting = [
            *of_broadcast(session, broadcast_id),
            o.status.in_((OutboxStatus.PENDING, PAUSED)),
            o.claimed_by.is_(None),
            o.user_id.in_(speakers),
        ]
        payload = _json(session, text=_text(body), reply_markup=_markup(session))
        statement = sql_update(o).where(*waiting).values(payload=payload)
        result = await session.execute(statement.execution_options(synchronize_session=False))
        rewritten += rowcount(result)
        key = literal(edit_prefix(broadcast_id, version)) + cast(o.user_id, String)
        payload = _json(
            session, message_id=o.message_id, text=_text(body), reply_markup=_markup(session)
        )
        rows = select(*_row(key, "editMessageText", payload, now))
        rows = rows.join(User, User.id == o.user_id).where(
            *_delivered(session, broadcast_id), reads == language
        )
        queued += await _insert(session, rows)
    older = (
        sql_update(o)
        .where(
            *_keyed(session, edit_prefix(broadcast_id)),
            ~o.key.startswith(edit_prefix(broadcast_id, version)),
            o.status == OutboxStatus.PENDING,
            o.claimed_by.is_(None),
        )
        .values(status=OutboxStatus.SKIPPED, last_error=SUPERSEDED, next_attempt_at=now)
    )
    await session.execute(older.execution_options(synchronize_session=False))
    return queued, rewritten


async def edit_rows(
    session: AsyncSession, broadcast_id: int, text: str, admin_id: int, now: datetime
) -> Edited:
    """Record ``text`` as the broadcast's next version (the same text as the latest version
    is that version again: nothing new is queued) and apply it."""
    broadcast = await _broadcast(session, broadcast_id)
    latest = await session.scalar(
        select(BroadcastEdit)
        .where(BroadcastEdit.broadcast_id == broadcast_id)
        .order_by(BroadcastEdit.version.desc())
        .limit(1)
    )
    if latest is not None and latest.text == text:
        version = latest.version
    elif latest is None and broadcast.text == text:
        return Edited(broadcast_id, 0, 0, 0, await undone(session, broadcast_id, now))
    else:
        version = (latest.version if latest is not None else 0) + 1
        edit = BroadcastEdit(
            broadcast_id=broadcast_id,
            version=version,
            text=text,
            created_at=now,
            created_by=admin_id,
        )
        session.add(edit)
        broadcast.text = text
        await session.flush()
    queued, rewritten = await apply_edit(session, broadcast_id, version, text, now)
    return Edited(
        broadcast_id, version, queued, rewritten, await undone(session, broadcast_id, now)
    )


async def edit(services: Services, broadcast_id: int, text: str, user_id: int) -> Edited:
    """Correct the broadcast's text in every copy (``Unknown``; ``TooLong``)."""
    if not fits(text):
        raise TooLong(text)
    for attempt in range(2):
        try:
            async with services.db.session() as session:
                now = services.clock.now()
                edited = await edit_rows(session, broadcast_id, text, user_id, now)
            break
        except IntegrityError:  # another edit took this version number first: the next one
            if attempt:
                raise
    log.info(
        "broadcast edited",
        broadcast_id=broadcast_id,
        version=edited.version,
        queued=edited.queued,
        rewritten=edited.rewritten,
        user_id=user_id,
    )
    if edited.version:

        async def again(session: AsyncSession) -> int:
            now = services.clock.now()
            return (await apply_edit(session, broadcast_id, edited.version, text, now))[0]

        _after_flight(services, broadcast_id, again)
    return edited


# -- copies still with the sender ---------------------------------------------------------


def _after_flight(
    services: Services, broadcast_id: int, again: Callable[[AsyncSession], Awaitable[int]]
) -> None:
    """Run ``again`` once the broadcast's copies that were with the sender are recorded (a
    copy sent just after the action is deleted or corrected too)."""
    task = asyncio.create_task(_when_landed(services, broadcast_id, again))
    _again.add(task)
    task.add_done_callback(_again.discard)


async def _when_landed(
    services: Services, broadcast_id: int, again: Callable[[AsyncSession], Awaitable[int]]
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.settings.outbox_lease_seconds
    o = OutboxMessage
    while loop.time() < deadline:
        try:
            async with services.db.session() as session:
                held = await session.scalar(
                    select(func.count())
                    .select_from(o)
                    .where(*of_broadcast(session, broadcast_id), o.claimed_by.is_not(None))
                )
                if not held:
                    more = await again(session)
                    if more:
                        log.info("broadcast copies caught after the sender", rows=more)
                    return
        except Exception as exc:  # a database blip: the next look may succeed
            log.warning("broadcast copies not caught up; will retry", error=str(exc)[:200])
        await asyncio.sleep(AGAIN_EVERY)


# -- where it stands ----------------------------------------------------------------------


def _kind(error: str | None, status: str, *, deleting: bool) -> str:
    text = (error or "").lower()
    if status == OutboxStatus.SENT:
        return "done"
    if status == OutboxStatus.PENDING or status == PAUSED:
        return "waiting"
    if deleting and GONE in text:
        return "done"
    if not deleting and UNCHANGED in text:
        return "done"
    if deleting and any(mark in text for mark in TOO_OLD):
        return "old"
    if error == SUPERSEDED:
        return "superseded"
    return "failed"


def _keyed(session: AsyncSession, prefix: str) -> list[Any]:
    """The outbox rows whose key starts with ``prefix``; on SQLite also as a key range, which
    its unique index answers without reading the other rows (as ``service.of_broadcast``)."""
    o = OutboxMessage
    where = [o.key.startswith(prefix)]
    if session.get_bind().dialect.name == "sqlite":
        where += [o.key >= prefix, o.key < prefix[:-1] + chr(ord(prefix[-1]) + 1)]
    return where


async def _counts(session: AsyncSession, prefix: str, *, deleting: bool) -> Counter[str]:
    o = OutboxMessage
    query = (
        select(o.status, o.last_error, func.count())
        .where(*_keyed(session, prefix))
        .group_by(o.status, o.last_error)
    )
    counts: Counter[str] = Counter()
    for status, error, n in (await session.execute(query)).all():
        counts[_kind(error, status, deleting=deleting)] += n
    return counts


async def _stayed(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    """Delivered copies 48 hours old or more that no deletion was queued for: they stay."""
    o, d = OutboxMessage, aliased(OutboxMessage)
    key = literal(delete_prefix(broadcast_id)) + cast(o.user_id, String)
    found = await session.scalar(
        select(func.count())
        .select_from(o)
        .where(
            *_delivered(session, broadcast_id),
            o.sent_at <= now - DELETABLE,
            ~exists().where(d.key == key),
        )
    )
    return found or 0


async def undone(session: AsyncSession, broadcast_id: int, now: datetime) -> Undone:
    """The broadcast's deletions and its latest edit, counted from their outbox rows; the
    delivered copies 48 hours old or more that have no deletion count as not deletable."""
    deletions = await _counts(session, delete_prefix(broadcast_id), deleting=True)
    stayed = await _stayed(session, broadcast_id, now)
    version = await session.scalar(
        select(func.max(BroadcastEdit.version)).where(BroadcastEdit.broadcast_id == broadcast_id)
    )
    edits = (
        await _counts(session, edit_prefix(broadcast_id, version), deleting=False)
        if version
        else Counter[str]()
    )
    return Undone(
        deleted=deletions["done"],
        deleting=deletions["waiting"],
        not_deletable=deletions["old"] + stayed,
        delete_failed=deletions["failed"],
        version=version or 0,
        edited=edits["done"],
        editing=edits["waiting"],
        edit_failed=edits["failed"],
    )


# -- the chat commands --------------------------------------------------------------------


def _old(n: int) -> str:
    return ngettext(
        "{n} copy is older than 48 hours and stays.",
        "{n} copies are older than 48 hours and stay.",
        n,
    ).format(n=number(n))


def deleted_text(deleted: Deleted) -> str:
    """What the admin is told after /deletebroadcast (and the console shows the same figures)."""
    n = deleted.queued
    lines = [
        ngettext(
            "Broadcast #{id} stopped: {n} deletion queued.",
            "Broadcast #{id} stopped: {n} deletions queued.",
            n,
        ).format(id=deleted.broadcast_id, n=number(n))
    ]
    if deleted.cancelled:
        lines.append(
            ngettext(
                "{n} waiting message will not be sent.",
                "{n} waiting messages will not be sent.",
                deleted.cancelled,
            ).format(n=number(deleted.cancelled))
        )
    shown = deleted.undone.render()
    if shown:
        lines.append(shown)
    elif deleted.old:
        lines.append(_old(deleted.old))
    return "\n".join(lines)


def edited_text(edited: Edited) -> str:
    if not edited.version:
        return _("Broadcast #{id} already reads so.").format(id=edited.broadcast_id)
    lines = [
        _("Broadcast #{id}, edit {version}:").format(
            id=edited.broadcast_id, version=edited.version
        ),
        ngettext(
            "{n} delivered copy queued for editing.",
            "{n} delivered copies queued for editing.",
            edited.queued,
        ).format(n=number(edited.queued)),
    ]
    if edited.rewritten:
        lines.append(
            ngettext(
                "{n} waiting copy will go out with the new text.",
                "{n} waiting copies will go out with the new text.",
                edited.rewritten,
            ).format(n=number(edited.rewritten))
        )
    shown = edited.undone.render()
    if shown:
        lines.append(shown)
    return "\n".join(lines)


async def deletebroadcast(update: Update, context: BotContext) -> None:
    """/deletebroadcast <id>: stop the broadcast and delete the copies already delivered."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    words = context.args or []
    broadcast_id = ascii_int(words[0], 1, SERIAL_MAX) if len(words) == 1 else None
    if broadcast_id is None:
        await message.reply_text(
            _(
                "Usage: /deletebroadcast <id> — stops the broadcast and deletes the copies "
                "delivered in the last 48 hours."
            )
        )
        return
    try:
        deleted = await delete(context.services, broadcast_id, user.id)
    except control.Unknown:
        await message.reply_text(_("No broadcast #{id}.").format(id=broadcast_id))
        return
    await message.reply_text(deleted_text(deleted))


EDIT_USAGE = N_(
    "Usage: /editbroadcast <id>, then the corrected text on the next lines — every copy "
    "already delivered is edited, the waiting ones go out corrected."
)


async def editbroadcast(update: Update, context: BotContext) -> None:
    """/editbroadcast <id> followed by the corrected text: fix every copy of the broadcast."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    words = command_body(message).split(maxsplit=1)
    broadcast_id = ascii_int(words[0], 1, SERIAL_MAX) if words else None
    text = words[1].strip() if len(words) == 2 else ""
    if broadcast_id is None or not text:
        await message.reply_text(_(EDIT_USAGE))
        return
    try:
        edited = await edit(context.services, broadcast_id, text, user.id)
    except control.Unknown:
        await message.reply_text(_("No broadcast #{id}.").format(id=broadcast_id))
        return
    except TooLong:
        await message.reply_text(_("This text is too long to replace a message in place."))
        return
    await message.reply_text(edited_text(edited))


COMMANDS = admin_commands(
    (
        "deletebroadcast",
        N_("stop a broadcast and delete the copies it delivered"),
        N_("<id>"),
        deletebroadcast,
    ),
    (
        "editbroadcast",
        N_("correct the text of every copy of a broadcast"),
        N_("<id>, then the corrected text on the next lines"),
        editbroadcast,
    ),
)
API = "bot.modules.broadcast.console_api"
ROUTES = (
    ConsoleRoute("POST", "broadcasts/{id}/delete", f"{API}:delete", action="broadcasts.delete"),
    ConsoleRoute("POST", "broadcasts/{id}/edit", f"{API}:edit", action="broadcasts.edit"),
)
