"""Figures modules contribute to /stats and the daily report, without analytics importing them.

A module registers a provider: an async function that, given a session and a
local day (in ``TIMEZONE``), returns named integer figures for that day (for
gauges such as active subscriptions: at :func:`as_of`, the day's end or now), and
declares a label for each figure it returns (``Module(figures={name: N_("Label")})``):
/stats and the daily report show every figure under its label, in the reader's
language; a figure named ``..._seconds`` is shown as a duration.

A module may also declare steps of the engagement funnel (:class:`FunnelStep`,
``Module(funnel=...)``): which users had reached a step (completed a first mission, held
VIP) by a given instant, as a query of user ids over its own tables, which analytics'
daily roll-up counts without knowing those tables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.people import _, duration, number

StatsProvider = Callable[[AsyncSession, date], Awaitable[dict[str, int]]]
# The ids of the users who had reached a funnel step by an instant (a query, run by the caller).
Reached = Callable[[datetime], Select[int]]


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """A step of the engagement funnel: ``users(at)`` selects who had reached it by ``at``;
    ``order`` places it after registering (0); ``label`` is English marked with ``N_``."""

    name: str
    label: str
    order: int
    users: Reached


def as_of(day: date, tz: ZoneInfo, now: datetime) -> datetime:
    """The instant a provider counts ``day``'s gauges at: now for today, the day's end
    (in ``tz``) for a past day, so a report on yesterday shows yesterday's figures."""
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return min(now, end)


class StatsRegistry:
    """Providers by module, called in registration order, and the labels of their figures."""

    __slots__ = ("_labels", "_providers", "_steps")

    def __init__(self) -> None:
        self._providers: list[tuple[str, StatsProvider]] = []
        self._labels: dict[str, str] = {}
        self._steps: dict[str, FunnelStep] = {}

    def add(self, module: str, provider: StatsProvider) -> None:
        self._providers.append((module, provider))

    def step(self, step: FunnelStep) -> None:
        """Add a funnel step; a name declared twice is a mistake."""
        if step.name in self._steps:
            raise ValueError(f"funnel step {step.name!r} declared twice")
        self._steps[step.name] = step

    def funnel(self) -> list[FunnelStep]:
        """The declared funnel steps, in their order."""
        return sorted(self._steps.values(), key=lambda step: step.order)

    def label(self, name: str, text: str) -> None:
        """How figure ``name`` is shown: ``text``, English marked with ``N_``."""
        self._labels[name] = text

    def labelled(self) -> set[str]:
        return set(self._labels)

    def describe(self, figures: dict[str, int]) -> list[str]:
        """One line per figure, ``Label: value`` in the current language, in the order the
        labels were declared (a figure nobody labelled comes last, under its name)."""
        shown = [name for name in self._labels if name in figures]
        shown += sorted(name for name in figures if name not in self._labels)
        lines = []
        for name in shown:
            value = figures[name]
            text = (
                duration(timedelta(seconds=value)) if name.endswith("_seconds") else number(value)
            )
            lines.append(f"{_(self._labels.get(name, name))}: {text}")
        return lines

    async def collect(self, session: AsyncSession, day: date) -> dict[str, int]:
        figures: dict[str, int] = {}
        for _module, provider in self._providers:
            figures.update(await provider(session, day))
        return figures
