"""Queuing a broadcast in one statement per language, and reading its progress from the outbox
(pausing, resuming and cancelling are in ``control.py``).

Each recipient's row holds the final text in their language (the header is translated, the
admin's words are not), rendered at queue time: the outbox sends what the row says, and a
statement per language keeps the audience out of Python (see ``benchmarks/i18n.py`` for
what the extra statements cost).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import Category, OutboxMessage, OutboxStatus, Priority
from bot.core.kernel import rowcount
from bot.core.people import User, _, language_column, languages, percent, speaking
from bot.modules.broadcast.models import Broadcast

BAR_WIDTH = 20
# The outbox status of a paused broadcast's rows: the sender claims pending rows only, and the
# purge deletes finished ones only, so a paused row waits untouched until it is resumed.
PAUSED = "paused"
CANCELLED = "broadcast cancelled"  # the last_error of the rows a cancel took off the queue
# What Telegram's 403s and the sender's skips say when the recipient blocked the bot or is gone.
BLOCKED_MARKS = ("forbidden", "blocked", "deactivated", "recipient unreachable")
BUCKETS: dict[str, str] = {
    OutboxStatus.SENT: "delivered",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.SKIPPED: "skipped",
}


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int
    failed: int
    skipped: int = 0  # muted by preferences, or the user became unreachable meanwhile
    cancelled: int = 0  # still waiting when the broadcast was cancelled
    paused: int = 0  # held by a pause
    broadcast_id: int | None = None

    @property
    def finished(self) -> int:
        return self.sent + self.failed + self.skipped + self.cancelled

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.finished)

    @property
    def done(self) -> bool:
        return self.remaining == 0

    def render(self) -> str:
        ratio = self.finished / self.total if self.total else 1.0
        filled = round(ratio * BAR_WIDTH)
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        counts = _("sent {sent} · failed {failed}").format(sent=self.sent, failed=self.failed)
        if self.skipped:
            counts += " · " + _("skipped {skipped}").format(skipped=self.skipped)
        if self.cancelled:
            counts += " · " + _("cancelled {cancelled}").format(cancelled=self.cancelled)
        left = _("remaining {remaining} of {total}").format(
            remaining=self.remaining, total=self.total
        )
        lines = [self._head(), f"{bar} {percent(ratio)}", f"{counts} · {left}"]
        if not self.done and self.broadcast_id is not None:
            verb = "resumebroadcast" if self.paused else "pausebroadcast"
            lines.append(f"/{verb} {self.broadcast_id} · /cancelbroadcast {self.broadcast_id}")
        return "\n".join(lines)

    def _head(self) -> str:
        if self.cancelled:
            return _("Broadcast cancelled")
        if self.done:
            return _("Broadcast finished")
        return _("Broadcast paused") if self.paused else _("Broadcasting…")


class State(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class Tally:
    """Where every message of a broadcast stands, read from its outbox rows."""

    total: int
    delivered: int = 0
    blocked: int = 0  # the recipient blocked the bot or deleted their account
    failed: int = 0  # refused for another reason, or given up after retries
    skipped: int = 0  # muted by the recipient's preferences
    cancelled: int = 0
    waiting: int = 0  # not handed to the sender yet (paused ones included)
    in_flight: int = 0  # handed to the sender: sent, or about to be
    paused: int = 0
    failed_rows: int = 0  # rows with status failed (blocked or not), as /broadcast counts
    skipped_rows: int = 0  # rows skipped but not cancelled, as /broadcast counts

    @property
    def state(self) -> State:
        if self.cancelled:
            return State.CANCELLED
        if self.paused:
            return State.PAUSED
        return State.RUNNING if self.waiting or self.in_flight else State.FINISHED

    def progress(self, broadcast_id: int | None = None) -> Progress:
        return Progress(
            self.total,
            self.delivered,
            self.failed_rows,
            self.skipped_rows,
            self.cancelled,
            self.paused,
            broadcast_id,
        )


def announcement(text: str) -> str:
    """What a recipient reads: the header in their language, then the admin's words."""
    return _("📣 Announcement") + "\n\n" + text


def key_prefix(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:"


Keyboard = Callable[[int], dict[str, Any] | None]  # a broadcast's id -> the reply_markup


async def queue_broadcast(
    session: AsyncSession,
    *,
    text: str,
    admin_id: int,
    now: datetime,
    where: Sequence[ColumnElement[bool]] = (),
    audience: str | None = None,
    due: ColumnElement[datetime] | None = None,
    variants: Sequence[str] = (),
    keyboard: Keyboard | None = None,
    **columns: Any,
) -> Broadcast:
    """Record the broadcast and queue one outbox row per reachable user (narrowed by the
    conditions ``where`` on ``users``, an audience's) with one ``INSERT ... SELECT`` per
    language and variant (the audience never passes through Python). Each row is due at
    ``due`` (an expression over ``users``: each recipient's own time), or now. With
    ``variants`` (``text`` and up to three more), each user reads the one
    :func:`variant_of` gives them; ``keyboard`` builds the buttons under each copy, in the
    language being queued. ``columns``: more of the broadcast's columns (its schedule)."""
    texts = list(variants) or [text]
    broadcast = Broadcast(
        text=texts[0],
        created_by=admin_id,
        created_at=now,
        total=0,
        audience=audience or None,
        variants=texts if len(texts) > 1 else None,
        **columns,
    )
    session.add(broadcast)
    await session.flush()
    reads = language_column()
    for language in languages():
        for number, body in enumerate(texts):
            with speaking(language):
                payload: dict[str, Any] = {"text": announcement(body)}
                markup = keyboard(broadcast.id) if keyboard is not None else None
            if markup:
                payload["reply_markup"] = markup
            split = (
                [variant_of(User.id, broadcast.id, len(texts)) == number] if len(texts) > 1 else []
            )
            audience_rows = _audience(broadcast.id, payload, now, due).where(
                reads == language, *where, *split
            )
            result = await session.execute(
                insert(OutboxMessage).from_select(COLUMNS, audience_rows)
            )
            broadcast.total += rowcount(result)
    return broadcast


def variant_of(user_id: Any, broadcast_id: int, count: int) -> Any:
    """Which of ``count`` variants a user reads (0 first): their id shifted by the
    broadcast's, modulo the count (Telegram's user ids are spread evenly, so the split is
    even, and a user's variant can be computed again from any of their rows)."""
    return (user_id + broadcast_id) % count


COLUMNS = [
    "key",
    "chat_id",
    "user_id",
    "category",
    "method",
    "payload",
    "priority",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
]


def _audience(
    broadcast_id: int,
    payload: dict[str, Any],
    now: datetime,
    due: ColumnElement[datetime] | None = None,
) -> Select[Any]:
    """The rows of every reachable user, with ``payload`` (callers narrow it to a language),
    due at ``due`` (or now)."""
    o = OutboxMessage
    return select(
        literal(key_prefix(broadcast_id)) + cast(User.id, String),
        User.id,
        User.id,
        literal(Category.ANNOUNCEMENT.value),
        literal("sendMessage"),
        literal(payload, JSON),
        literal(Priority.BROADCAST),
        literal(OutboxStatus.PENDING.value),
        literal(0),
        literal(now, o.next_attempt_at.type) if due is None else due,
        literal(now, o.created_at.type),
    ).where(User.reachable.is_(True))


async def progress(session: AsyncSession, broadcast: Broadcast) -> Progress:
    """Sent, failed, skipped and cancelled rows of ``broadcast`` so far (all finished; rows
    held for quiet hours or by a pause stay remaining)."""
    return (await tally(session, broadcast)).progress(broadcast.id)


def _kind() -> Any:
    """How a row counts: in flight (claimed), cancelled, blocked, or by its status alone."""
    o = OutboxMessage
    error = func.lower(func.coalesce(o.last_error, ""))
    blocked = or_(*(error.contains(mark) for mark in BLOCKED_MARKS))
    finished = o.status.in_((OutboxStatus.FAILED, OutboxStatus.SKIPPED))
    return case(
        (o.claimed_by.is_not(None), literal("in_flight")),
        (o.last_error == CANCELLED, literal("cancelled")),
        (and_(finished, blocked), literal("blocked")),
        else_=literal(""),
    )


def of_broadcast(session: AsyncSession, broadcast_id: int) -> list[Any]:
    """The outbox rows of one broadcast: keys starting ``broadcast:<id>:``. On SQLite (binary
    collation) also as a key range, which its unique index on ``key`` answers without reading
    the other rows (``LIKE`` alone scans the whole outbox there); other databases' collations
    may order punctuation differently, so there the prefix alone says it."""
    o, prefix = OutboxMessage, key_prefix(broadcast_id)
    where = [o.key.startswith(prefix)]
    if session.get_bind().dialect.name == "sqlite":
        where += [o.key >= prefix, o.key < prefix[:-1] + chr(ord(prefix[-1]) + 1)]
    return where


async def tally(session: AsyncSession, broadcast: Broadcast) -> Tally:
    """Count ``broadcast``'s outbox rows by status and kind, in one grouped query; a
    broadcast that is over is read from its stored final tally (and stores it the first
    time it is found over)."""
    if broadcast.final is not None:
        return Tally(broadcast.total, **broadcast.final)
    o, kind = OutboxMessage, _kind()
    query = (
        select(o.status, kind, func.count())
        .where(*of_broadcast(session, broadcast.id))
        .group_by(o.status, kind)
    )
    counts: Counter[str] = Counter()
    for status, how, n in (await session.execute(query)).all():
        counts[_bucket(status, how)] += n
        if status == OutboxStatus.FAILED:
            counts["failed_rows"] += n
        elif status == OutboxStatus.SKIPPED and how != "cancelled":
            counts["skipped_rows"] += n
        if status == PAUSED:
            counts["paused"] += n
    found = Tally(broadcast.total, **counts)
    over = not (found.waiting or found.in_flight or found.paused)
    if over and any(counts.values()) and found.state in (State.FINISHED, State.CANCELLED):
        broadcast.final = dict(counts)
    return found


def _bucket(status: str, how: str) -> str:
    if how:
        return how
    return BUCKETS.get(status, "waiting")  # pending or paused
