"""Duration parsing for /grant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.modules.subscriptions.service import DurationError, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", 90), ("12h", 12 * 3600), ("30d", 30 * 86400), ("2w", 14 * 86400), ("5M", 300)],
)
def test_durations_are_understood(text: str, expected: int) -> None:
    """Seconds, hours, days and weeks (any case) become the matching timedelta."""
    assert parse_duration(text) == timedelta(seconds=expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0s", "positive"),
        ("-5d", "positive"),
        ("4000d", "10 years"),
        ("999999999999w", "10 years"),
        ("30", "not a duration"),
        ("d30", "not a duration"),
        ("1.5d", "not a duration"),
        ("", "not a duration"),
    ],
)
def test_bad_durations_are_refused_with_a_reason(text: str, reason: str) -> None:
    """Zero, negative, absurd and malformed durations raise a message saying why."""
    with pytest.raises(DurationError, match=reason):
        parse_duration(text)
