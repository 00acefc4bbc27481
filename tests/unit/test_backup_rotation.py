"""Rotation of backups: the newest of each of the last N days and of the last M ISO weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.modules.backups.rotation import to_keep, to_remove

START = datetime(2026, 1, 1, tzinfo=UTC)


def at(day: int, hour: int = 3) -> datetime:
    return START + timedelta(days=day, hours=hour)


def test_a_month_of_nightly_backups_keeps_seven_days_and_four_weeks() -> None:
    """30 nightly backups, keep 7 daily and 4 weekly: the last 7 nights plus the newest
    backup of each of the 4 newest weeks (some of which are among the 7)."""
    items = [(day, at(day)) for day in range(30)]
    kept = to_keep(items, daily=7, weekly=4)
    weeks = {at(d).isocalendar()[:2] for d in range(30)}
    newest_weekly = sorted(
        max(d for d in range(30) if at(d).isocalendar()[:2] == w) for w in weeks
    )[-4:]
    assert kept == sorted(set(range(23, 30)) | set(newest_weekly))


def test_several_backups_a_day_keep_the_newest_of_each_day() -> None:
    """A manual backup at 10:00 and the nightly one at 03:30: the day keeps the 10:00 one."""
    items = [("night", at(0, 3)), ("manual", at(0, 10)), ("next", at(1, 3))]
    assert to_keep(items, daily=2, weekly=0) == ["manual", "next"]
    assert to_remove(items, daily=2, weekly=0) == ["night"]


def test_days_without_backups_do_not_count() -> None:
    """A bot down for a month still keeps its last 3 backups with keep_daily=3."""
    items = [(d, at(d)) for d in (0, 1, 2, 40)]
    assert to_keep(items, daily=3, weekly=0) == [1, 2, 40]


times = st.lists(
    st.integers(min_value=0, max_value=400 * 24).map(lambda h: START + timedelta(hours=h)),
    max_size=60,
)


@given(times, st.integers(1, 10), st.integers(0, 6))
def test_keep_rule(stamps: list[datetime], daily: int, weekly: int) -> None:
    """Whatever the times: kept and removed split the backups; the newest is always kept;
    exactly min(days, N) + the weekly ones are kept at most; every kept backup is the newest
    of its day; each of the newest N days keeps one."""
    items = list(enumerate(stamps))
    kept, removed = (
        to_keep(items, daily=daily, weekly=weekly),
        to_remove(items, daily=daily, weekly=weekly),
    )
    assert sorted(kept + removed) == list(range(len(stamps)))
    if stamps:
        newest = max(range(len(stamps)), key=lambda i: (stamps[i], -i))
        assert stamps[newest] in {stamps[i] for i in kept}
    days = sorted({s.date() for s in stamps}, reverse=True)
    assert len(kept) <= min(len(days), daily) + weekly
    for i in kept:
        assert all(s <= stamps[i] for s in stamps if s.date() == stamps[i].date())
    kept_days = {stamps[i].date() for i in kept}
    assert set(days[:daily]) <= kept_days
    kept_weeks = {stamps[i].isocalendar()[:2] for i in kept}
    weeks = sorted({s.isocalendar()[:2] for s in stamps}, reverse=True)
    assert set(weeks[:weekly]) <= kept_weeks
