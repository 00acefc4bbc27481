"""The roll-up's arithmetic: retention by join week from daily rows, and the top sources."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.modules.analytics.engagement import MAX_SOURCES, OTHER_SOURCES, top_sources
from bot.modules.analytics.retention import cohorts, monday

MON = date(2026, 11, 16)


def row(joined: int = 0, **returned: int) -> dict[str, Any]:
    """A day's roll-up: ``joined`` users, ``returned`` as ``d1=2`` (joined a day before)."""
    back = {"1": 0, "7": 0, "30": 0}
    back.update({name.removeprefix("d"): count for name, count in returned.items()})
    return {"joined": joined, "returned": back}


def test_a_week_sums_its_days_returned_over_joined() -> None:
    """Monday's 4 and Tuesday's 6 joiners, 2 and 3 back a day later: day-1 retention 5/10."""
    found = {
        MON: row(4),
        MON + timedelta(days=1): row(6, d1=2),
        MON + timedelta(days=2): row(0, d1=3),
    }
    [week] = cohorts(found)
    assert week.week == MON and week.joined == 10
    assert week.rates == {1: 0.5, 7: None, 30: None}


def test_days_not_old_enough_are_left_out_not_counted_as_zero() -> None:
    """Tuesday's day 1 is not rolled up yet: the rate is Monday's alone (1 of 2), not 1/5."""
    found = {MON: row(2), MON + timedelta(days=1): row(3, d1=1)}
    assert cohorts(found)[0].rates[1] == 0.5


def test_day_7_and_30_reach_back_across_weeks() -> None:
    """A return on day 7 and day 30 belongs to the week of the join, not of the return."""
    found = {
        MON: row(4),
        MON + timedelta(days=7): row(0, d7=1),
        MON + timedelta(days=30): row(0, d30=3),
    }
    by_week = {c.week: c for c in cohorts(found)}
    assert by_week[MON].rates == {1: None, 7: 0.25, 30: 0.75}
    assert by_week[monday(MON + timedelta(days=30))].joined == 0


def test_weeks_are_newest_first_and_since_drops_earlier_ones() -> None:
    """Cohorts come newest first; ``since`` keeps the weeks starting on or after it."""
    found = {MON + timedelta(days=n): row(1) for n in range(0, 21, 7)}
    assert [c.week for c in cohorts(found)] == [MON + timedelta(days=n) for n in (14, 7, 0)]
    assert [c.week for c in cohorts(found, since=MON + timedelta(days=3))][-1] == MON + timedelta(
        days=7
    )


def test_a_week_nobody_joined_has_no_rate() -> None:
    """No joiner: no rate (None), never a division by zero."""
    found = {MON: row(0), MON + timedelta(days=1): row(0)}
    assert cohorts(found)[0].rates[1] is None


def test_top_sources_keep_the_most_common_and_sum_the_rest() -> None:
    """The MAX_SOURCES largest sources by users (ties by name) are kept; the rest are summed
    under one key, users and conversions both."""
    found = [(f"s{n:03d}", 1000 - n, n % 2) for n in range(MAX_SOURCES + 3)]
    top = top_sources(found)
    assert len(top) == MAX_SOURCES + 1 and next(iter(top)) == "s000"
    rest = found[MAX_SOURCES:]
    assert top[OTHER_SOURCES] == [sum(r[1] for r in rest), sum(r[2] for r in rest)]
    assert top_sources([("b", 2, 0), ("a", 2, 1)]) == {"a": [2, 1], "b": [2, 0]}


def test_the_chart_leaves_a_gap_for_a_day_without_active_users() -> None:
    """A day the roll-up had not counted is a gap in the daily report's active-users line,
    not a zero; the other lines count a missing figure as 0, as before."""
    from math import isnan

    import numpy

    from bot.modules.analytics.chart import draw

    points = [(MON, {"users_total": 3}), (MON + timedelta(days=1), {"users_active": 2})]
    lines: dict[str, list[float]] = {
        str(line.get_label()): numpy.asarray(line.get_ydata(), dtype=float).tolist()
        for line in draw(points).axes[0].lines
    }
    active = lines["active that day"]
    assert isnan(active[0]) and active[1] == 2
    assert lines["users"] == [3, 0]
