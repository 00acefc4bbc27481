"""Facts the missions module publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.kernel import Event


@dataclass(frozen=True, slots=True)
class MissionAssigned(Event):
    """A user got their mission for ``day`` (local date in ``TIMEZONE``)."""

    user_id: int
    assignment_id: int
    mission_id: int
    day: date


@dataclass(frozen=True, slots=True)
class MissionCompleted(Event):
    """A user completed their mission; ``streak`` counts consecutive days including this one."""

    user_id: int
    assignment_id: int
    mission_id: int
    points: int
    streak: int
    day: date


@dataclass(frozen=True, slots=True)
class MissionMissed(Event):
    """A day ended with the user's mission open; their streak is reset."""

    user_id: int
    assignment_id: int
    day: date
