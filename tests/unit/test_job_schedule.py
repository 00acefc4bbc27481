"""Schedules: the text forms, the triggers, DST, and the slot a fire runs for."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.jobs import Cron, DailyAt, Every
from bot.core.jobs.fire_times import (
    ScheduleError,
    build_trigger,
    describe,
    first_fire,
    last_fire,
    next_fire,
    parse_schedule,
)
from bot.core.jobs.jobqueue import SlotTracker

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "schedule"),
    [
        ("0 9 * * *", Cron("0 9 * * *")),
        ("daily 02:30", DailyAt(time(2, 30))),
        ("7:05", DailyAt(time(7, 5))),
        ("every 30s", Every(30)),
        ("every 5m", Every(300)),
        ("Every 1h", Every(3600)),
    ],
)
def test_parse_schedule_forms(text: str, schedule: object) -> None:
    """Cron, 'daily HH:MM', 'HH:MM' and 'every N s|m|h' are read as documented."""
    assert parse_schedule(text) == schedule


@pytest.mark.parametrize("text", ["sometimes", "daily 25:00", "every 5 days", "0 9 * *"])
def test_parse_schedule_rejects_nonsense(text: str) -> None:
    """Anything else is refused with the accepted forms."""
    with pytest.raises(ScheduleError):
        parse_schedule(text)


def test_describe_round_trips() -> None:
    """The text shown in /jobs reads back as the same schedule."""
    for schedule in (Cron("*/5 * * * *"), DailyAt(time(9, 0)), Every(300), Every(45)):
        assert parse_schedule(describe(schedule)) == schedule


@pytest.mark.parametrize("schedule", [Cron("61 * * * *"), Cron("0 9 * * mon-xyz"), Every(0)])
def test_invalid_triggers(schedule: Cron | Every) -> None:
    """A bad cron field or a zero interval cannot become a trigger."""
    with pytest.raises(ScheduleError):
        build_trigger(schedule, BERLIN)


def _fires(trigger: object, start: datetime, days: int) -> list[datetime]:
    fires, fire = [], first_fire(trigger, start)
    while fire is not None and fire < start + timedelta(days=days):
        fires.append(fire)
        fire = next_fire(trigger, fire)
    return fires


@pytest.mark.parametrize("schedule", [DailyAt(time(2, 30)), Cron("30 2 * * *")])
@pytest.mark.parametrize("day", [datetime(2026, 3, 27), datetime(2026, 10, 23)])
def test_daily_0230_runs_once_per_day_across_dst(schedule: object, day: datetime) -> None:
    """Europe/Berlin spring-forward (no 02:30) and fall-back (two 02:30s): once a day."""
    start = day.replace(tzinfo=BERLIN)
    fires = _fires(build_trigger(schedule, BERLIN), start, 5)  # type: ignore[arg-type]
    dates = [fire.astimezone(BERLIN).date() for fire in fires]
    assert len(fires) == 5 and len(set(dates)) == 5


def test_every_is_aligned_not_relative_to_start() -> None:
    """Interval slots sit on a fixed grid, so a restart keeps the same slots."""
    trigger = build_trigger(Every(300), UTC)
    fire = first_fire(trigger, datetime(2026, 1, 1, 10, 2, 17, tzinfo=UTC))
    assert fire == datetime(2026, 1, 1, 10, 5, tzinfo=UTC)


def test_last_fire_finds_the_previous_slot() -> None:
    """The latest fire at or before now, for frequent and rare schedules."""
    now = datetime(2026, 5, 20, 10, 7, tzinfo=UTC)
    assert last_fire(build_trigger(Cron("*/5 * * * *"), UTC), now) == now.replace(minute=5)
    monthly = build_trigger(Cron("0 0 1 * *"), UTC)
    assert last_fire(monthly, now) == datetime(2026, 5, 1, tzinfo=UTC)
    assert last_fire(build_trigger(DailyAt(time(10, 7)), UTC), now) == now


def test_slot_is_the_fire_time_not_now() -> None:
    """A fire that arrives late runs for its scheduled time; missed fires coalesce."""
    trigger = build_trigger(Every(60), UTC)
    start = datetime(2026, 1, 1, 10, 0, 30, tzinfo=UTC)
    slots = SlotTracker(trigger, start)
    assert slots.slot(start + timedelta(seconds=31)) == datetime(2026, 1, 1, 10, 1, tzinfo=UTC)
    late = datetime(2026, 1, 1, 10, 4, 10, tzinfo=UTC)
    assert slots.slot(late) == datetime(2026, 1, 1, 10, 4, tzinfo=UTC)
    assert slots.expected == datetime(2026, 1, 1, 10, 5, tzinfo=UTC)
