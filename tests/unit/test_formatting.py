"""Numbers, dates, times and durations written the reader's way (Babel)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.core.people import formatting
from bot.core.people.i18n import speaking
from tests.helpers.clocks import NOON as NOON_UTC

BERLIN = ZoneInfo("Europe/Berlin")


def test_numbers_group_thousands_the_readers_way() -> None:
    """1234567 is 1,234,567 in English and 1 234 567 (no-break spaces) in Ukrainian."""
    with speaking("en"):
        assert formatting.number(1234567) == "1,234,567"
    with speaking("uk"):
        assert formatting.number(1234567) == "1\xa0234\xa0567"


def test_times_are_shown_in_the_bots_zone() -> None:
    """Noon UTC is 13:00 in Berlin in November, written with the reader's date format."""
    with speaking("uk"):
        assert formatting.moment(NOON_UTC, BERLIN) == "21 лист. 2026\u202fр., 13:00"
        assert formatting.day(date(2026, 11, 21)) == "21 лист. 2026\u202fр."
    with speaking("en"):
        assert formatting.moment(NOON_UTC, BERLIN) == "Nov 21, 2026, 1:00\u202fPM"


def test_durations_in_words() -> None:
    """Five minutes and three days in each language, with Ukrainian's plural forms."""
    with speaking("uk"):
        assert formatting.duration(timedelta(minutes=5)) == "5 хвилин"
        assert formatting.duration(timedelta(days=3)) == "3 дні"
    with speaking("en"):
        assert formatting.duration(timedelta(days=3)) == "3 days"
