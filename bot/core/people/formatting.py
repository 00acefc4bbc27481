"""Numbers, dates, times and durations the way the reader's language writes them (Babel),
and names people chose, shown so that nothing in them becomes clickable.

``1,234`` in English is ``1 234`` in Ukrainian; "3 Dec 2026" is "3 груд. 2026 р.". Times
are shown in the bot's ``TIMEZONE`` (the caller passes it), never in UTC by accident.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, tzinfo

from babel import Locale, dates, numbers, units

from bot.core.people.i18n import current

# Telegram finds links, mentions and commands in plain text by these marks ("evil.com/x",
# "@someone", "/start", "tg://..."): a WORD JOINER after each one ends the match (U+200D,
# the zero-width *joiner*, would not: Telegram counts it as part of a link).
_WORD_JOINER = "\u2060"
_LINK_MARKS = frozenset("./@:#$")
# Direction overrides and isolates reorder what follows them (U+202E shows "nimda" as "admin").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _locale() -> Locale:
    return Locale.parse(current())


def number(value: float) -> str:
    """``1234`` -> ``1,234`` (English) / ``1 234`` (Ukrainian)."""
    return numbers.format_decimal(value, locale=_locale())


def percent(ratio: float) -> str:
    """``0.5`` -> ``50%``."""
    return numbers.format_percent(ratio, locale=_locale())


def day(value: date) -> str:
    """A calendar day, medium length: ``Dec 3, 2026``."""
    return dates.format_date(value, format="medium", locale=_locale())


def short_day(value: date) -> str:
    """A day on a chart's axis: ``12/3`` / ``03.12``, without the year."""
    return dates.format_skeleton("Md", value, locale=_locale())


def moment(value: datetime, zone: tzinfo) -> str:
    """A date and time in ``zone``: ``Dec 3, 2026, 09:00``."""
    local = value.astimezone(zone)
    return f"{day(local.date())}, {clock(value, zone)}"


def clock(value: datetime, zone: tzinfo) -> str:
    """The time of day in ``zone``: ``9:00 AM`` / ``09:00``."""
    return dates.format_time(value, format="short", tzinfo=zone, locale=_locale())


def weekday(value: datetime, zone: tzinfo) -> str:
    """The day of the week in ``zone``, abbreviated: ``Sun`` / ``нд``."""
    return dates.format_datetime(value, "EEE", tzinfo=zone, locale=_locale())


def seconds(value: float) -> str:
    """A run's length to the hundredth of a second: ``0.02 sec`` / ``0,02 с``."""
    return units.format_unit(
        value, "duration-second", length="short", format="0.00", locale=_locale()
    )


def duration(value: timedelta) -> str:
    """A length of time in words: ``3 days``, ``2 hours`` (rounded to its largest unit)."""
    return dates.format_timedelta(value, threshold=1, locale=_locale())


def shown_name(name: str) -> str:
    """A name a user chose (Telegram's first and last name, a display name), safe inside a
    plain-text message to someone else: "evil.com/login", "t.me/x", "@someone" and "/start"
    stay text (a word joiner follows each ``. / @ : # $``), line breaks and other control
    characters become spaces, and direction overrides go. It reads the same to people."""
    kept: list[str] = []
    for char in name:
        if char in _BIDI:
            continue
        kept.append(" " if unicodedata.category(char) == "Cc" else char)
        if char in _LINK_MARKS:
            kept.append(_WORD_JOINER)
    return "".join(kept)
