"""Retention by the week users joined, from the daily roll-ups alone.

The users who joined on day J are ``joined`` of J's roll-up; those of them active N days
later are ``returned[N]`` of the roll-up of J+N. A join week's day-N retention is the sum
of the second over the sum of the first, over the days J of the week whose day J+N has
been rolled up (the others are not N days old yet, or fell in a gap): so a week still
under way gives the rate of its days so far, and a rate no day can give yet is None.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.modules.analytics.engagement import RETURN_DAYS


@dataclass(frozen=True, slots=True)
class Cohort:
    """The users who joined in the week starting ``week`` (a Monday)."""

    week: date
    joined: int
    rates: dict[int, float | None]  # day N -> retention, None while no day can tell

    def as_json(self) -> dict[str, Any]:
        return {
            "week": self.week.isoformat(),
            "joined": self.joined,
            **{f"day_{n}": rate for n, rate in self.rates.items()},
        }


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def cohorts(found: dict[date, dict[str, Any]], since: date | None = None) -> list[Cohort]:
    """The join weeks of the roll-ups ``found`` (by day), newest first; ``since``: only the
    weeks starting on or after it (the first read week may be incomplete)."""
    joined: dict[date, int] = defaultdict(int)
    eligible: dict[tuple[date, int], int] = defaultdict(int)
    back: dict[tuple[date, int], int] = defaultdict(int)
    for day, figures in found.items():
        week, count = monday(day), figures.get("joined", 0)
        joined[week] += count
        for n in RETURN_DAYS:
            later = found.get(day + timedelta(days=n))
            if later is not None:
                eligible[week, n] += count
                back[week, n] += later.get("returned", {}).get(str(n), 0)
    weeks = sorted((w for w in joined if since is None or w >= since), reverse=True)
    return [
        Cohort(
            week,
            joined[week],
            {
                n: back[week, n] / eligible[week, n] if eligible[week, n] else None
                for n in RETURN_DAYS
            },
        )
        for week in weeks
    ]
