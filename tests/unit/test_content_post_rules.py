"""When a /post goes out and what it may contain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.modules.content.service import PostError, check_body, parse_when
from tests.helpers.clocks import NOON as NOW

BERLIN = ZoneInfo("Europe/Berlin")


def test_now_and_relative_times() -> None:
    """`now` is now; +30m/+2h/+1d are offsets from now."""
    assert parse_when("now", NOW, BERLIN) == NOW
    assert parse_when("+30m", NOW, BERLIN) == NOW + timedelta(minutes=30)
    assert parse_when("+2h", NOW, BERLIN) == NOW + timedelta(hours=2)
    assert parse_when("+1d", NOW, BERLIN) == NOW + timedelta(days=1)


def test_local_datetime_is_read_in_the_time_zone() -> None:
    """2026-12-01T09:00 in Europe/Berlin (UTC+1 in winter) is 08:00 UTC."""
    assert parse_when("2026-12-01T09:00", NOW, BERLIN) == datetime(2026, 12, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-11-21T12:30", "in the past"),  # 11:30 UTC < now
        ("2020-01-01T00:00", "in the past"),
        ("+0m", "positive"),
        ("+400d", "more than a year"),
        ("tomorrow", "not a time"),
        ("2026-13-01T09:00", "not a time"),
    ],
)
def test_bad_times_are_refused(text: str, reason: str) -> None:
    """Past, zero, far-future and malformed times raise a message saying why."""
    with pytest.raises(PostError, match=reason):
        parse_when(text, NOW, BERLIN)


def test_body_limits_follow_telegram() -> None:
    """Texts hold 4096 characters, captions 1024; empty text only with a photo."""
    assert check_body("  hello ", photo=False) == "hello"
    assert check_body("", photo=True) == ""
    assert check_body("x" * 4096, photo=False)
    with pytest.raises(PostError, match="empty"):
        check_body("   ", photo=False)
    with pytest.raises(PostError, match="at most 4096"):
        check_body("x" * 4097, photo=False)
    with pytest.raises(PostError, match="at most 1024"):
        check_body("x" * 1025, photo=True)
