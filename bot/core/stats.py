"""Figures modules contribute to /stats and the daily report, without analytics importing them.

A module registers a provider: an async function that, given a session and a
local day (in ``TIMEZONE``), returns named integer figures for that day (for
gauges such as active subscriptions: at :func:`as_of`, the day's end or now).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

StatsProvider = Callable[[AsyncSession, date], Awaitable[dict[str, int]]]


def as_of(day: date, tz: ZoneInfo, now: datetime) -> datetime:
    """The instant a provider counts ``day``'s gauges at: now for today, the day's end
    (in ``tz``) for a past day, so a report on yesterday shows yesterday's figures."""
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return min(now, end)


class StatsRegistry:
    """Providers by module, called in registration order."""

    __slots__ = ("_providers",)

    def __init__(self) -> None:
        self._providers: list[tuple[str, StatsProvider]] = []

    def add(self, module: str, provider: StatsProvider) -> None:
        self._providers.append((module, provider))

    async def collect(self, session: AsyncSession, day: date) -> dict[str, int]:
        figures: dict[str, int] = {}
        for _module, provider in self._providers:
            figures.update(await provider(session, day))
        return figures
