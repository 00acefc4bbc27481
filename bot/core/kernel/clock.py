"""Time as a dependency: production reads the system clock, tests move a manual one."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import UTC, date, datetime, timedelta, tzinfo


def local_time(moment: datetime, tz: tzinfo) -> str:
    """``moment`` as the bot shows it to people: ``2026-12-01 09:00 CET`` in ``tz``."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


class Clock(ABC):
    """Source of the current time; always timezone-aware UTC."""

    __slots__ = ()

    @abstractmethod
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""

    def local_now(self, tz: tzinfo) -> datetime:
        """The current instant as a wall-clock time in ``tz``."""
        return self.now().astimezone(tz)

    def today(self, tz: tzinfo) -> date:
        """The calendar date now in ``tz`` (the bot's ``TIMEZONE`` or a user's own zone)."""
        return self.local_now(tz).date()

    async def sleep(self, seconds: float) -> None:
        """Wait; a manual clock may return at once."""
        await asyncio.sleep(seconds)


class SystemClock(Clock):
    """The wall clock."""

    __slots__ = ()

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock(Clock):
    """A clock that only moves when told to; used by tests and simulations."""

    __slots__ = ("_now",)

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta | float) -> None:
        self._now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)
