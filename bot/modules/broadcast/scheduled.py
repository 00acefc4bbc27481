"""Queueing an occurrence of a broadcast with each copy due at its time, and the next one of a
repeated broadcast (``broadcast.repeat``).

Occurrence ``k`` of a broadcast planned at ``anchor``: in each zone, the first time of day
after ``anchor`` (or the date given), then the same wall-clock time ``k`` days or weeks later
there, so DST moves no one's 09:00 and no zone gets it twice or skips it. A local-time
occurrence is one ``INSERT ... SELECT`` per language whose due time is a ``CASE`` over the
recipients' zones (one branch per zone in use): no recipient passes through Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.delivery import OutboxMessage
from bot.core.kernel import get_logger, rowcount
from bot.core.people import Audience, Scope, User, occurrence, parse_audience, zone_of
from bot.modules.broadcast import measure, service, when
from bot.modules.broadcast.models import Broadcast
from bot.modules.broadcast.service import State

log = get_logger(__name__)
# The next occurrence of a repeated broadcast is queued this long before its time in the
# bot's zone: every zone's instant of that day is within 14 hours of it, with a margin, so its
# audience is read a day before, not a week.
LEAD = timedelta(hours=26)


def instant(schedule: when.When, zone: Any, anchor: datetime, number: int) -> datetime:
    """Occurrence ``number`` in ``zone`` of a broadcast planned at ``anchor``."""
    first = when.first(schedule, zone, anchor)
    if number == 0 or schedule.every is None or schedule.at is None:
        return first
    day = first.astimezone(zone).date() + when.EVERY[schedule.every] * number
    return occurrence(day, schedule.at, zone)


async def _due(
    session: AsyncSession,
    services: Services,
    schedule: when.When,
    where: list[ColumnElement[bool]],
    anchor: datetime,
    number: int,
) -> ColumnElement[datetime] | None:
    """Each row's due time: None (now), the bot zone's instant, or a CASE over the zones of
    the audience's users."""
    if schedule.now:
        return None
    column = OutboxMessage.next_attempt_at.type
    bot_zone = services.settings.tz
    if not schedule.local:
        return literal(instant(schedule, bot_zone, anchor, number), column)
    stored = (await session.scalars(select(User.timezone).where(*where).distinct())).all()
    cases = [
        (
            User.timezone == name,
            literal(instant(schedule, zone_of(name, bot_zone), anchor, number), column),
        )
        for name in stored
        if name is not None
    ]
    default = literal(instant(schedule, bot_zone, anchor, number), column)
    return case(*cases, else_=default) if cases else default


def _next_at(
    schedule: when.When, services: Services, anchor: datetime, number: int
) -> datetime | None:
    """When occurrence ``number + 1`` is to be queued; None if the broadcast is not repeated."""
    if schedule.every is None:
        return None
    return instant(schedule, services.settings.tz, anchor, number + 1) - LEAD


async def queue(
    session: AsyncSession,
    services: Services,
    *,
    text: str,
    admin_id: int,
    audience: Audience,
    schedule: when.When,
    anchor: datetime,
    number: int = 0,
    series_id: int | None = None,
    variants: Sequence[str] = (),
    buttons: tuple[dict[str, str], ...] = (),
) -> Broadcast:
    """Queue occurrence ``number`` of a broadcast; :class:`when.WhenError` or
    :class:`AudienceError` if it cannot be read."""
    now = services.clock.now()
    where = services.audience.where(audience, Scope(now, services.settings.tz.key))
    due = await _due(session, services, schedule, where, anchor, number)
    broadcast = await service.queue_broadcast(
        session,
        text=text,
        admin_id=admin_id,
        now=now,
        where=where,
        audience=str(audience) or None,
        due=due,
        schedule=str(schedule) or None,
        occurrence=number,
        anchor=anchor if not schedule.now else None,
        next_at=_next_at(schedule, services, anchor, number),
        variants=variants,
        keyboard=measure.keyboard(buttons),
        buttons=list(buttons) or None,
    )
    broadcast.series_id = series_id if series_id is not None else broadcast.id
    return broadcast


def first_due(broadcast: Broadcast, services: Services) -> datetime | None:
    """When the broadcast's first copies are due in the bot's zone (None: now); shown to the
    admin (a local-time one: the bot zone's instant; each zone has its own)."""
    if not broadcast.schedule or broadcast.anchor is None:
        return None
    schedule = when.read(_terms(broadcast.schedule))
    return instant(schedule, services.settings.tz, broadcast.anchor, broadcast.occurrence)


def _terms(text: str) -> dict[str, list[str]]:
    terms: dict[str, list[str]] = {}
    for word in text.split():
        name, _colon, value = word.partition(":")
        terms.setdefault(name, []).append(value)
    return terms


def read_schedule(text: str | None) -> when.When:
    return when.read(_terms(text or ""))


async def repeat_due(services: Services) -> tuple[int, int]:
    """Queue the next occurrence of every repeated broadcast whose time has come:
    ``(queued, ended)``. Each is taken by a compare-and-set on its ``next_at``, so two
    processes (or a retry) queue it once; a cancelled occurrence ends its series."""
    now = services.clock.now()
    async with services.db.session() as session:
        found = await session.execute(
            select(Broadcast.id, Broadcast.next_at)
            .where(Broadcast.next_at.is_not(None), Broadcast.next_at <= now)
            .order_by(Broadcast.next_at)
            .limit(100)
        )
        due = found.all()
    queued = ended = 0
    for broadcast_id, next_at in due:
        async with services.db.session() as session:
            taken = await session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.next_at == next_at)
                .values(next_at=None)
            )
            if not rowcount(taken):
                continue  # another process took it
            previous = await session.get(Broadcast, broadcast_id)
            assert previous is not None
            if (await service.tally(session, previous)).state == State.CANCELLED:
                ended += 1
                log.info("repeated broadcast ended by its cancel", broadcast_id=broadcast_id)
                continue
            following = await queue(
                session,
                services,
                text=previous.text,
                admin_id=previous.created_by,
                audience=parse_audience(previous.audience or ""),
                schedule=read_schedule(previous.schedule),
                anchor=previous.anchor or previous.created_at,
                number=previous.occurrence + 1,
                series_id=previous.series_id or previous.id,
                variants=previous.variants or (),
                buttons=tuple(previous.buttons or ()),
            )
            queued += 1
            log.info(
                "repeated broadcast queued",
                broadcast_id=following.id,
                series_id=following.series_id,
                occurrence=following.occurrence,
                total=following.total,
            )
    return queued, ended


__all__ = ["first_due", "queue", "read_schedule", "repeat_due"]
