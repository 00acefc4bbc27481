"""Schedules as text and as APScheduler triggers, and the fire times they produce.

The text forms (settings overrides, ``/jobs``): a five-field cron expression
(``0 9 * * *``), ``daily HH:MM`` (or just ``HH:MM``), ``every 30s|5m|1h``.
A cron expression means what it means in cron(8): in the day-of-week field 0 and 7 are
Sunday, 1 is Monday, ``1-5`` is Monday to Friday, and names (``sun``, ``mon-fri``) work.
APScheduler 3's ``CronTrigger.from_crontab`` numbers days from Monday = 0 instead (so every
numeric weekday would fire a day late, and ``7`` would be refused): the field is
translated to day names (:func:`cron_weekdays`) before it reaches APScheduler.
Triggers run in ``TIMEZONE``. A wall-clock schedule (a fixed hour) fires once
per wall-clock time: on the autumn DST change the repeated 02:30 does not run
twice, and the spring-forward 02:30 that does not exist runs once, an hour later.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.jobs.spec import Cron, DailyAt, Every, Schedule
from bot.core.kernel import ascii_int

# ASCII digits only (int('²') raises), few enough that the interval stays finite.
_EVERY = re.compile(r"every\s+([0-9]{1,9}(?:\.[0-9]{1,6})?)\s*([smh])")
_DAILY = re.compile(r"(?:daily\s+)?([0-9]{1,2}):([0-9]{2})")
_UNITS = {"s": 1, "m": 60, "h": 3600}
_EPOCH = datetime(2000, 1, 3)  # a Monday: interval slots are aligned to it, not to start-up


class ScheduleError(ValueError):
    """A schedule that cannot be run; the message says what is accepted."""


# cron(8)'s day-of-week numbers and names; 7 is Sunday again.
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_NUMBER = {name: number for number, name in enumerate(_DAY_NAMES)}
_DAY_ITEM = re.compile(r"(\*|[0-7]|[a-z]{3})(?:-([0-7]|[a-z]{3}))?(?:/([0-9]{1,2}))?")


def _day(text: str, field: str) -> int:
    number = ascii_int(text, 0, 7)  # the regex admits nothing else
    if number is not None:
        return number
    if text not in _DAY_NUMBER:
        raise ScheduleError(f"unknown day {text!r} in day-of-week field {field!r} (sun-sat, 0-7)")
    return _DAY_NUMBER[text]


def cron_weekdays(field: str) -> str:
    """A cron(8) day-of-week field as APScheduler reads it: ``*`` stays, anything else
    becomes the list of day names it selects (``1-5`` -> ``mon,tue,wed,thu,fri``;
    ``0``, ``7`` and ``sun`` -> ``sun``; ``*/2`` -> ``sun,tue,thu,sat``)."""
    field = field.lower()
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        match = _DAY_ITEM.fullmatch(item)
        if match is None:
            raise ScheduleError(f"cannot read day-of-week field {field!r} (e.g. 1-5, sun, 0,6)")
        start, end, step = match[1], match[2], int(match[3] or 1)
        if step < 1:
            raise ScheduleError(f"step must be positive in day-of-week field {field!r}")
        if start == "*":
            if end is not None:
                raise ScheduleError(f"cannot read day-of-week field {field!r}")
            low, high = 0, 6
        else:
            low = _day(start, field)
            high = _day(end, field) if end is not None else (6 if match[3] else low)
        if low > high:
            raise ScheduleError(f"day range {item!r} runs backwards in {field!r}")
        days.update(day % 7 for day in range(low, high + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def parse_schedule(text: str) -> Schedule:
    """``"0 9 * * *"`` -> Cron, ``"daily 09:00"`` or ``"09:00"`` -> DailyAt, ``"every 5m"``."""
    value = " ".join(text.strip().lower().split())
    if match := _EVERY.fullmatch(value):
        return Every(float(match[1]) * _UNITS[match[2]])
    if match := _DAILY.fullmatch(value):
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59:
            raise ScheduleError(f"no such time of day {text.strip()!r}")
        return DailyAt(time(hour, minute))
    if len(value.split()) == 5:
        return Cron(value)
    raise ScheduleError(
        f"cannot read schedule {text.strip()!r}: use a 5-field cron expression, "
        "'daily HH:MM' or 'every 30s|5m|1h'"
    )


def describe(schedule: Schedule) -> str:
    """The text form, readable by :func:`parse_schedule`."""
    if isinstance(schedule, Cron):
        return schedule.expression
    return str(schedule)


class WallClockOnce(BaseTrigger):  # type: ignore[misc]
    """Wraps a trigger so a local wall-clock time never fires twice (DST fall-back)."""

    def __init__(self, inner: BaseTrigger, tz: tzinfo) -> None:
        self.inner, self.tz = inner, tz

    def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
        fire: datetime | None = self.inner.get_next_fire_time(previous, now)
        while (
            fire is not None and previous is not None and self._wall(fire) <= self._wall(previous)
        ):
            fire = self.inner.get_next_fire_time(fire, fire)
        return fire

    def _wall(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz).replace(tzinfo=None)

    def __str__(self) -> str:
        return f"once per wall-clock time: {self.inner}"


def build_trigger(schedule: Schedule, tz: tzinfo) -> Any:
    """The APScheduler trigger of ``schedule``; :class:`ScheduleError` if it is invalid."""
    if isinstance(schedule, Every):
        if schedule.seconds <= 0:
            raise ScheduleError(f"interval must be positive, got {schedule.seconds:g}s")
        start = _EPOCH.replace(tzinfo=tz)
        return IntervalTrigger(seconds=schedule.seconds, start_date=start, timezone=tz)
    if isinstance(schedule, DailyAt):
        at = schedule.at
        return WallClockOnce(CronTrigger(hour=at.hour, minute=at.minute, timezone=tz), tz)
    fields = schedule.expression.split()
    try:
        if len(fields) == 5:  # from_crontab refuses any other count itself
            fields[4] = cron_weekdays(fields[4])
        cron = CronTrigger.from_crontab(" ".join(fields), timezone=tz)
    except ValueError as exc:  # ScheduleError included: one message for every cron mistake
        raise ScheduleError(f"invalid cron expression {schedule.expression!r}: {exc}") from None
    hour_field = schedule.expression.split()[1]
    return cron if hour_field.startswith("*") else WallClockOnce(cron, tz)


def next_fire(trigger: Any, after: datetime) -> datetime | None:
    """The first fire time strictly after ``after``."""
    fire: datetime | None = trigger.get_next_fire_time(after, after)
    return fire


def first_fire(trigger: Any, now: datetime) -> datetime | None:
    """The first fire time at or after ``now``."""
    fire: datetime | None = trigger.get_next_fire_time(None, now)
    return fire


def last_fire(
    trigger: Any, now: datetime, horizon: timedelta = timedelta(days=400)
) -> datetime | None:
    """The latest fire time at or before ``now`` (None if none within ``horizon``).

    APScheduler only looks forward, so look back in doubling windows: the work is
    proportional to the fires in the last window, not to the horizon.
    """
    window = timedelta(seconds=60)
    while window <= horizon * 2:
        fire = first_fire(trigger, now - window)
        if fire is not None and fire <= now:
            while (following := next_fire(trigger, fire)) is not None and following <= now:
                fire = following
            return fire
        window *= 2
    return None
