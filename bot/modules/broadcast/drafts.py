"""A broadcast is counted and previewed before it is sent: the draft, and its Send and Cancel.

``/broadcast`` reads an optional audience on its first line (``lang:uk vip:expired``, see
``bot/core/people/audience.py``) and the text after it, counts the users the audience reaches,
shows the admin the message as a recipient will read it, and asks. The draft is a row: the
Send button deletes it and queues the broadcast in the same transaction, so two presses (or
two admins, or a press after a restart) send it once; Cancel deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.context import Services
from bot.core.kernel import PurgeRequest, delete_in_batches
from bot.core.people import (
    Audience,
    AudienceError,
    Scope,
    _,
    looks_like_audience,
    ngettext,
    number,
    parse_audience,
)
from bot.modules.broadcast import body, scheduled, when
from bot.modules.broadcast.models import Broadcast, BroadcastDraft

PREFIX = "bcast:"
NOW = when.When()
SEND, DROP = f"{PREFIX}go:", f"{PREFIX}no:"
KEPT = timedelta(days=1)  # a draft nobody sent or cancelled is purged after this


@dataclass(frozen=True, slots=True)
class Drafted:
    draft_id: int
    audience: Audience
    reach: int
    schedule: when.When = NOW
    body: body.Body | None = None


def split(body: str) -> tuple[str, str]:
    """``(audience line, text)`` of a /broadcast body: the first line is the audience when it
    starts with a term (``name:value``), else there is none and the body is the text."""
    first, _newline, rest = body.partition("\n")
    if looks_like_audience(first):
        return first.strip(), rest.strip()
    return "", body


def scope(services: Services) -> Scope:
    return Scope(services.clock.now(), services.settings.tz.key)


async def count(services: Services, audience: Audience) -> int:
    """How many users ``audience`` reaches now; :class:`AudienceError` if it is not valid."""
    query = services.audience.count_query(audience, scope(services))
    async with services.db.session() as session:
        return int(await session.scalar(query) or 0)


def read_line(line: str) -> tuple[Audience, when.When]:
    """The audience and the time an audience line writes (``lang:uk local:09:00``);
    :class:`AudienceError` (a :class:`when.WhenError` for the time) if it is not one."""
    parsed = parse_audience(line)
    timing: dict[str, list[str]] = {}
    for term in parsed.terms:
        if term.name in when.NAMES:
            if term.negated:
                raise when.WhenError(_("“-{name}” cannot be negated.").format(name=term.name))
            timing.setdefault(term.name, []).extend(term.values)
    audience = Audience(tuple(t for t in parsed.terms if t.name not in when.NAMES))
    return audience, when.read(timing)


async def draft(services: Services, admin_id: int, text: str, audience_line: str) -> Drafted:
    """Read and count the audience, check the time, and keep the draft; :class:`AudienceError`
    if the audience or the time is not one (nothing is kept then)."""
    audience, schedule = read_line(audience_line)
    when.first(schedule, services.settings.tz, services.clock.now())  # passed, too far
    written = body.read(text)
    reach = await count(services, audience)
    async with services.db.session() as session:
        row = BroadcastDraft(
            text=written.texts[0],
            audience=str(audience) or None,
            created_by=admin_id,
            created_at=services.clock.now(),
            reach=reach,
            schedule=str(schedule) or None,
            variants=list(written.texts) if len(written.texts) > 1 else None,
            buttons=list(written.buttons) or None,
        )
        session.add(row)
        await session.flush()
        return Drafted(row.id, audience, reach, schedule, written)


def question(drafted: Drafted) -> str:
    who = str(drafted.audience) or _("every user")
    reach = ngettext("It reaches {n} user.", "It reaches {n} users.", drafted.reach).format(
        n=number(drafted.reach)
    )
    return "\n".join(
        (
            _("Audience: {who}").format(who=who),
            _("When: {when}").format(when=str(drafted.schedule) or _("now")),
            *_variants(drafted),
            reach,
            _("The message above is what they will read. Send it?"),
        )
    )


def _variants(drafted: Drafted) -> list[str]:
    count = len(drafted.body.texts) if drafted.body else 1
    if count == 1:
        return []
    return [_("{n} variants, split evenly (previews above).").format(n=count)]


def buttons(drafted: Drafted) -> InlineKeyboardMarkup:
    send = ngettext("Send to {n} user", "Send to {n} users", drafted.reach).format(
        n=number(drafted.reach)
    )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(send, callback_data=f"{SEND}{drafted.draft_id}"),
                InlineKeyboardButton(_("Cancel"), callback_data=f"{DROP}{drafted.draft_id}"),
            ]
        ]
    )


async def send(services: Services, draft_id: int) -> Broadcast | None:
    """Take the draft and queue its broadcast, in one transaction; None if it is gone (sent
    or cancelled already). :class:`AudienceError` if its audience or time no longer reads
    (a time that has passed meanwhile): then the draft stays."""
    async with services.db.session() as session:
        taken = await _take(session, draft_id)
        if taken is None:
            return None
        audience, schedule = read_line(f"{taken.audience or ''} {taken.schedule or ''}")
        return await scheduled.queue(
            session,
            services,
            text=taken.text,
            admin_id=taken.created_by,
            audience=audience,
            schedule=schedule,
            anchor=services.clock.now(),
            variants=taken.variants or (),
            buttons=tuple(taken.buttons or ()),
        )


async def drop(services: Services, draft_id: int) -> bool:
    """Delete the draft; False if it was gone already."""
    async with services.db.session() as session:
        return await _take(session, draft_id) is not None


async def _take(session: AsyncSession, draft_id: int) -> BroadcastDraft | None:
    d = BroadcastDraft
    columns = (d.text, d.audience, d.created_by, d.schedule, d.variants, d.buttons)
    statement = delete(d).where(d.id == draft_id).returning(*columns)
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    return BroadcastDraft(
        text=row[0],
        audience=row[1],
        created_by=row[2],
        schedule=row[3],
        variants=row[4],
        buttons=row[5],
    )


async def purge_old(request: PurgeRequest) -> int:
    """Delete drafts nobody sent or cancelled within a day; run by ``cleanup.daily``."""
    purged = await delete_in_batches(
        request.db,
        BroadcastDraft.id,
        BroadcastDraft.created_at <= request.now - KEPT,
        batch_size=request.batch_size,
    )
    return purged.rows


__all__ = ["AudienceError", "Drafted", "count", "draft", "drop", "send", "split"]
