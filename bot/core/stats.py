"""Figures modules contribute to /stats and the daily report, without analytics importing them.

A module registers a provider: an async function that, given a session and a
local day (in ``TIMEZONE``), returns named integer figures for that day (or,
for gauges such as active subscriptions, for now).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

StatsProvider = Callable[[AsyncSession, date], Awaitable[dict[str, int]]]


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
