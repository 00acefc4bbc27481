"""Quiet-hour windows (which may wrap midnight) and their parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.modules.notifications.service import QuietHoursError, parse_quiet, window_end

BERLIN = ZoneInfo("Europe/Berlin")  # UTC+1 in November


def test_parse_quiet() -> None:
    """`22-08` is a window, `off` clears; anything else is refused."""
    assert parse_quiet("22-08") == (22, 8)
    assert parse_quiet("OFF") is None
    for bad in ("22", "24-08", "8-8", "a-b", "22-08-01", "-1-5"):
        with pytest.raises(QuietHoursError):
            parse_quiet(bad)


def test_wrapping_window_ends_next_morning() -> None:
    """At 23:30 local inside 22-08 the hold lasts until 08:00 local the next day."""
    now = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)  # 23:30 Berlin
    assert window_end(now, 22, 8, BERLIN) == datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


def test_after_midnight_ends_same_morning() -> None:
    """At 03:00 local inside 22-08 the hold lasts until 08:00 the same day."""
    now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 03:00 Berlin
    assert window_end(now, 22, 8, BERLIN) == datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


def test_outside_window_is_not_held() -> None:
    """At noon local neither a wrapping nor a daytime window that excludes noon holds."""
    now = datetime(2026, 11, 21, 11, 0, tzinfo=UTC)  # 12:00 Berlin
    assert window_end(now, 22, 8, BERLIN) is None
    assert window_end(now, 13, 17, BERLIN) is None
    assert window_end(now, 12, 13, BERLIN) == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
