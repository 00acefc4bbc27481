"""The engagement block of /stats and the console's engagement API: the latest roll-up and
the few before it that its join weeks' retention needs, read by key (no raw table read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.people import N_, _, number, percent
from bot.core.people import day as format_day
from bot.core.stats import StatsRegistry
from bot.modules.analytics.engagement import OTHER_SOURCES, last_rolled_up, rows
from bot.modules.analytics.retention import Cohort, cohorts, monday

SHOWN_WEEKS = 4
TOP_SOURCES = 5
START = N_("started")


@dataclass(frozen=True, slots=True)
class Engagement:
    """The latest roll-up (of ``day``) and the retention of the join weeks up to it."""

    day: date
    figures: dict[str, Any]
    cohorts: list[Cohort]

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            **self.figures,
            "retention": [cohort.as_json() for cohort in self.cohorts],
        }


async def latest(session: AsyncSession, weeks: int = SHOWN_WEEKS) -> Engagement | None:
    """The latest roll-up with ``weeks`` join weeks; None before the first roll-up."""
    last = await last_rolled_up(session)
    if last is None:
        return None
    first = monday(last) - timedelta(weeks=weeks - 1)
    found = await rows(session, first, last)
    return Engagement(last, found[last], cohorts(found, since=first))


def describe(engagement: Engagement | None, stats: StatsRegistry) -> list[str]:
    """The block's lines in the current language."""
    if engagement is None:
        return [_("Engagement: no daily roll-up yet (the first one comes after midnight).")]
    figures = engagement.figures
    head = _("Engagement on {day} (the last day rolled up):").format(day=format_day(engagement.day))
    active = _("Active users: {day} that day, {week} in 7 days, {month} in 30 days").format(
        day=number(figures["dau"]), week=number(figures["wau"]), month=number(figures["mau"])
    )
    lines = [head, active, funnel_line(figures["funnel"], stats)]
    lines += [cohort_line(cohort) for cohort in engagement.cohorts]
    lines.append(sources_line(figures["sources"], stats))
    return lines


def funnel_line(counts: dict[str, int], stats: StatsRegistry) -> str:
    labels = {step.name: step.label for step in stats.funnel()}
    started = counts.get("start", 0)
    parts = [f"{_(START)} {number(started)}"]
    for name, count in counts.items():
        if name != "start":
            share = f" ({percent(count / started)})" if started else ""
            parts.append(f"{_(labels.get(name, name))} {number(count)}{share}")
    return _("Funnel: {steps}").format(steps=" → ".join(parts))


def cohort_line(cohort: Cohort) -> str:
    rates = ", ".join(
        _("day {n} {rate}").format(n=n, rate="—" if rate is None else percent(rate))
        for n, rate in cohort.rates.items()
    )
    return _("Joined the week of {week}: {joined}; came back on {rates}").format(
        week=format_day(cohort.week), joined=number(cohort.joined), rates=rates
    )


def sources_line(sources: dict[str, list[int]], stats: StatsRegistry) -> str:
    steps = stats.funnel()
    converted = _(steps[-1].label) if steps else "—"
    shown = [
        f"{source_name(source)} {number(users)} → {number(won)}"
        for source, (users, won) in list(sources.items())[:TOP_SOURCES]
    ]
    return _("Sources (users → {converted}): {sources}").format(
        converted=converted, sources="; ".join(shown) or "—"
    )


def source_name(source: str) -> str:
    if source == "":
        return _("no link")
    if source == OTHER_SOURCES:
        return _("others")
    return source
