"""Each user's own hours: their local day, their mission time, and the rows the sweeper reads.

Two kinds of per-user message: the daily mission (at the user's ``/missiontime``, by
default ``MISSION_TIME``) and the "streak at risk" reminder
a few hours before the user's local midnight. Both are rows of ``user_schedules``; a
change of zone or of time recomputes them in the transaction that stored the change.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.kernel import UserZoneChanged
from bot.core.people import (
    next_occurrence,
    occurrence,
    plan,
    rows_of,
    wall_time,
    zone_for,
    zone_of,
)
from bot.modules.missions.settings import MissionSettings

MISSION, STREAK_RISK = "mission", "streak_risk"
KINDS = (MISSION, STREAK_RISK)
STREAK_RISK_AT = time(21, 0)  # three hours before the user's midnight
_TIME = re.compile(r"([0-9]{1,2})(?:[:.h]([0-9]{2}))?")  # ASCII digits: int('²') raises


class TimeOfDayError(ValueError):
    """Text that is not a time of day such as ``08:30``."""


def parse_time_of_day(text: str) -> int:
    """``08:30`` / ``8.30`` / ``8`` -> minutes after midnight; :class:`TimeOfDayError` else."""
    match = _TIME.fullmatch(text.strip().lower())
    if match is None:
        raise TimeOfDayError(text)
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        raise TimeOfDayError(text)
    return hour * 60 + minute


def default_mission_time(services: Services) -> time:
    """The local time missions arrive for users who chose none (``MISSION_TIME``)."""
    return services.settings.of(MissionSettings).mission_time


def time_of(services: Services, kind: str, minute: int | None) -> time:
    """The local time a row stands for (its own minute, else the kind's default)."""
    if minute is not None:
        return wall_time(minute)
    return default_mission_time(services) if kind == MISSION else STREAK_RISK_AT


def zone(services: Services, stored: str | None) -> tzinfo:
    return zone_of(stored, services.settings.tz)


async def user_zone(services: Services, session: AsyncSession, user_id: int) -> tzinfo:
    return await zone_for(session, user_id, services.settings.tz)


async def user_day(services: Services, session: AsyncSession, user_id: int) -> date:
    """Today in the user's zone: the day of their mission, their streak and their limits."""
    return services.clock.today(await user_zone(services, session, user_id))


def day_end(day: date, tz: tzinfo) -> datetime:
    """The instant (UTC) local ``day`` ends in ``tz``: a mission's deadline, fixed when it is
    issued, in the zone of that moment."""
    return occurrence(day + timedelta(days=1), time(0, 0), tz)


KEEP = -1  # reschedule(): keep the user's mission time


async def reschedule(
    services: Services, session: AsyncSession, user_id: int, mission_minute: int | None = KEEP
) -> None:
    """Recompute every row of the user from now, in their zone; ``mission_minute`` sets
    their mission time (None: the default; :data:`KEEP`: unchanged)."""
    tz, now = await user_zone(services, session, user_id), services.clock.now()
    kept = {row.kind: row.minute for row in await rows_of(session, user_id)}
    for kind in KINDS:
        minute = kept.get(kind)
        if kind == MISSION and mission_minute != KEEP:
            minute = mission_minute
        due = next_occurrence(time_of(services, kind, minute), tz, now)
        await plan(session, user_id, kind, minute, due)


class ZoneFollower:
    """Recomputes a user's times in the transaction that changed their zone."""

    __slots__ = ("services",)

    def __init__(self, services: Services) -> None:
        self.services = services

    async def zone_changed(self, event: UserZoneChanged, session: AsyncSession) -> None:
        await reschedule(self.services, session, event.user_id)
