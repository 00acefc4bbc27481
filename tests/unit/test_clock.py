"""The clock: the bot-wide local date and the one way a time is shown to people."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.core.kernel.clock import ManualClock, local_time

BERLIN, AUCKLAND = ZoneInfo("Europe/Berlin"), ZoneInfo("Pacific/Auckland")


def test_today_is_the_calendar_date_in_the_zone_asked_for() -> None:
    """Late evening in UTC is already tomorrow in Auckland and still today in Berlin."""
    clock = ManualClock(datetime(2026, 12, 1, 22, 30, tzinfo=UTC))
    assert clock.today(BERLIN) == date(2026, 12, 1)
    assert clock.today(AUCKLAND) == date(2026, 12, 2)
    assert clock.local_now(AUCKLAND).hour == 11


def test_local_time_shows_the_wall_clock_and_the_zone() -> None:
    """Times shown to people are the zone's wall clock, to the minute, with its abbreviation."""
    moment = datetime(2026, 7, 1, 7, 5, 59, tzinfo=UTC)
    assert local_time(moment, BERLIN) == "2026-07-01 09:05 CEST"
    assert local_time(moment.replace(month=12), BERLIN) == "2026-12-01 08:05 CET"
