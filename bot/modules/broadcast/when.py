"""When a broadcast goes out: now, at a time in the bot's zone, at each recipient's own local
time, and again every day or week until it is cancelled.

Written on the audience line of ``/broadcast`` beside the audience's terms::

    at:18:30                 the next 18:30 in the bot's zone (TIMEZONE)
    at:2026-12-24T09:00      that day and time in the bot's zone
    local:09:00              each recipient's next 09:00 in their own zone
    every:day / every:week   and again every day or week, until cancelled

A local-time broadcast is queued at once with each copy due at its recipient's 09:00 (the
zone's instant, DST-correct), so the outbox and its sender need nothing new: a copy waits
for its due time as any row does, quiet hours and the announcements switch still apply.
Every zone's next 09:00 is within a day, so each recipient gets it once per occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.kernel import ascii_int
from bot.core.people import AudienceError, _, next_occurrence, occurrence

NAMES = ("at", "local", "every")
EVERY = {"day": timedelta(days=1), "week": timedelta(days=7)}
AHEAD = timedelta(days=366)  # the furthest a broadcast can be planned


class WhenError(AudienceError):
    """A time that cannot be read or has passed; the message is for the admin."""


@dataclass(frozen=True, slots=True)
class When:
    """``at`` (a time of day, with ``day`` for one date) in the bot's zone, or ``local``
    (each recipient's zone); None for both: now. ``every``: repeated."""

    at: time | None = None
    day: date | None = None
    local: bool = False
    every: str | None = None

    @property
    def now(self) -> bool:
        return self.at is None

    def __str__(self) -> str:
        words = []
        if self.at is not None:
            clock = self.at.strftime("%H:%M")
            when = f"{self.day.isoformat()}T{clock}" if self.day else clock
            words.append(f"{'local' if self.local else 'at'}:{when}")
        if self.every:
            words.append(f"every:{self.every}")
        return " ".join(words)


def _clock(text: str) -> time | None:
    hours, colon, minutes = text.partition(":")
    hour, minute = ascii_int(hours, 0, 23), ascii_int(minutes, 0, 59)
    if not colon or hour is None or minute is None or len(minutes) != 2:
        return None
    return time(hour, minute)


def _day(text: str) -> date | None:
    parts = text.split("-")
    if len(parts) != 3 or [len(p) for p in parts] != [4, 2, 2]:
        return None
    year, month, day = (
        ascii_int(parts[0], 2000, 9999),
        ascii_int(parts[1], 1, 12),
        ascii_int(parts[2], 1, 31),
    )
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 30 February
        return None


def read(terms: dict[str, list[str]]) -> When:
    """The :class:`When` of the schedule terms (``{"at": ["18:30"], ...}``, each once);
    :class:`WhenError` naming what is wrong."""
    usage = _("write at:18:30, at:2026-12-24T09:00 or local:09:00, and every:day or every:week")
    for name, values in terms.items():
        if len(values) != 1:
            raise WhenError(
                _("Give {name} once, with one value: {usage}").format(name=name, usage=usage)
            )
    if "at" in terms and "local" in terms:
        raise WhenError(_("Give at: or local:, not both."))
    every = terms["every"][0] if "every" in terms else None
    if every is not None and every.lower() not in EVERY:
        raise WhenError(
            _("“{value}” is not a value of every: {usage}").format(value=every, usage=usage)
        )
    given = terms.get("at") or terms.get("local")
    text = given[0] if given else None
    if text is None:
        if every is not None:
            raise WhenError(_("A repeated broadcast needs its time: {usage}").format(usage=usage))
        return When()
    day_text, sep, clock_text = text.rpartition("T")
    at, day = _clock(clock_text), _day(day_text) if sep else None
    if at is None or (sep and day is None):
        raise WhenError(_("“{value}” is not a time: {usage}").format(value=text, usage=usage))
    return When(at, day, "local" in terms, every.lower() if every else None)


def first(when: When, zone: ZoneInfo, now: datetime) -> datetime:
    """The instant of the first occurrence in ``zone`` (the bot's, or a recipient's):
    that date and time, or the next time of day after ``now``; :class:`WhenError` if it has
    passed or is more than a year ahead (a recipient's zone: its instant, passed or not)."""
    if when.at is None:
        return now
    if when.day is None:
        return next_occurrence(when.at, zone, now)
    instant = occurrence(when.day, when.at, zone)
    if not when.local and instant <= now:
        raise WhenError(_("That time has passed."))
    if instant > now + AHEAD:
        raise WhenError(_("At most a year ahead."))
    return instant


def later(when: When, zone: ZoneInfo, previous: datetime) -> datetime:
    """The occurrence after the one at ``previous`` in ``zone``: the same wall-clock time a
    day or a week later there (DST-correct)."""
    assert when.every is not None and when.at is not None
    day = previous.astimezone(zone).date() + EVERY[when.every]
    return occurrence(day, when.at, zone)
