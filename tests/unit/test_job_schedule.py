"""Schedules: the text forms, the triggers, DST, and the slot a fire runs for."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.jobs import Cron, DailyAt, Every
from bot.core.jobs.fire_times import (
    ScheduleError,
    build_trigger,
    cron_weekdays,
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


# --- the day-of-week field means what it means in cron(8) ------------------------------------

MONDAY = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # a Monday
WEEKDAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


UTC_ZONE = ZoneInfo("UTC")


def _days_fired(expression: str, tz: ZoneInfo = UTC_ZONE, weeks: int = 1) -> list[str]:
    """The weekdays (local) of every fire in ``weeks`` weeks from Monday 2026-12-07."""
    trigger = build_trigger(Cron(expression), tz)
    start = MONDAY.replace(tzinfo=tz)
    fires, fire = [], first_fire(trigger, start)
    while fire is not None and fire < start + timedelta(weeks=weeks):
        fires.append(WEEKDAY[fire.astimezone(tz).weekday()])
        fire = next_fire(trigger, fire)
    return fires


@pytest.mark.parametrize(
    ("day", "name"),
    [
        *[("0", "sun"), ("1", "mon"), ("2", "tue"), ("3", "wed"), ("4", "thu"), ("5", "fri")],
        *[("6", "sat"), ("7", "sun"), ("sun", "sun"), ("SAT", "sat"), ("Mon", "mon")],
    ],
)
def test_every_weekday_number_and_name_is_crons(day: str, name: str) -> None:
    """0 and 7 are Sunday, 1 Monday ... 6 Saturday, and names work in any case."""
    assert _days_fired(f"0 4 * * {day}") == [name]


def test_ranges_steps_and_lists_across_the_week() -> None:
    assert _days_fired("0 9 * * 1-5") == ["mon", "tue", "wed", "thu", "fri"]
    assert _days_fired("0 9 * * mon-fri") == ["mon", "tue", "wed", "thu", "fri"]
    assert _days_fired("0 9 * * 0,6") == ["sat", "sun"]
    assert _days_fired("0 9 * * 5-7") == ["fri", "sat", "sun"]
    assert _days_fired("0 9 * * */2") == ["tue", "thu", "sat", "sun"]  # 0,2,4,6
    assert _days_fired("0 9 * * 1-5/2") == ["mon", "wed", "fri"]
    assert len(_days_fired("0 9 * * *")) == 7


def test_the_weekly_cleanup_runs_on_sunday() -> None:
    """``cleanup.optimize`` (0 4 * * 0): next after Monday 2026-12-07 is Sunday the 13th."""
    fire = first_fire(build_trigger(Cron("0 4 * * 0"), ZoneInfo("UTC")), MONDAY)
    assert fire == datetime(2026, 12, 13, 4, 0, tzinfo=UTC)


def test_a_weekday_schedule_across_a_dst_week_fires_once_a_day_at_local_time() -> None:
    """Europe/Berlin leaves summer time on Sunday 2026-10-25: a 02:30 Mon-Sun job fires
    once each local day, at 02:30 local, the repeated hour included."""
    tz = BERLIN
    trigger = build_trigger(Cron("30 2 * * 0-6"), tz)
    start = datetime(2026, 10, 19, 0, 0, tzinfo=tz)  # the Monday before
    fires, fire = [], first_fire(trigger, start)
    while fire is not None and fire < start + timedelta(weeks=1):
        fires.append(fire.astimezone(tz))
        fire = next_fire(trigger, fire)
    assert [f.day for f in fires] == [19, 20, 21, 22, 23, 24, 25]
    assert {(f.hour, f.minute) for f in fires} == {(2, 30)}


@pytest.mark.parametrize("field", ["8", "1-", "fri-mon", "5-1", "*/0", "funday", "1,,2", "-1"])
def test_a_bad_weekday_field_is_a_clear_error(field: str) -> None:
    with pytest.raises(ScheduleError, match="day"):
        build_trigger(Cron(f"0 9 * * {field}"), ZoneInfo("UTC"))


def _cron_means(field: str) -> set[int]:
    """What cron(8) selects for a numeric day-of-week field, read item by item (0-6,
    Sunday 0; 7 is Sunday too): the oracle of the property below."""
    chosen: set[int] = set()
    for item in field.split(","):
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            first, last = 0, 6
        elif "-" in body:
            first, last = (int(part) for part in body.split("-"))
        else:
            first = int(body)
            last = 6 if step_text else first
        chosen |= {
            0 if day == 7 else day for day in range(first, last + 1) if (day - first) % step == 0
        }
    return chosen


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789-,*/", max_size=12))
def test_the_weekday_field_is_read_totally_and_as_cron_means(field: str) -> None:
    """Any field is either the days cron(8) means or a ScheduleError; never another
    exception, and never other days."""
    try:
        names = cron_weekdays(field)
    except ScheduleError:
        return
    if names == "*":
        assert field == "*"
        return
    got = {
        ("sun", "mon", "tue", "wed", "thu", "fri", "sat").index(name) for name in names.split(",")
    }
    assert got == _cron_means(field)
