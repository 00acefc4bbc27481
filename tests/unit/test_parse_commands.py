"""Command arguments: durations, /post times, /quiet, /runjob key=value and schedules are total."""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.jobs.args import ArgsError, parse_args
from bot.core.jobs.fire_times import ScheduleError, parse_schedule
from bot.core.kernel.parse import ID_MAX
from bot.modules.content.service import MAX_AHEAD, PostError, parse_when
from bot.modules.notifications.service import QuietHoursError, parse_quiet
from bot.modules.subscriptions.service import MAX_DURATION, DurationError, parse_duration

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
    )
]
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DECLARED: dict[str, type] = {
    "limit": int,
    "ratio": float,
    "dry": bool,
    "day": date,
    "at": datetime,
    "name": str,
}
TIMEISH = st.text(alphabet="0123456789-T:+nowmhdsw²١٢３ \u00a0", max_size=20)


@FAST
@given(st.text() | TIMEISH)
def test_duration_is_total(text: str) -> None:
    """Any text: a positive duration of at most 10 years, or DurationError."""
    try:
        value = parse_duration(text)
    except DurationError:
        return
    assert timedelta(0) < value <= MAX_DURATION


@FAST
@given(st.sampled_from(sorted(UNITS)), st.integers(1, 10**6))
def test_duration_round_trips(unit: str, amount: int) -> None:
    """``<amount><unit>`` is that many units when within 10 years."""
    seconds = amount * UNITS[unit]
    if seconds > MAX_DURATION.total_seconds():
        with pytest.raises(DurationError, match="longer than 10 years"):
            parse_duration(f"{amount}{unit}")
    else:
        assert parse_duration(f"{amount}{unit}") == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["²d", "３０d", "١٢h", "30d\n1", "0d", "-3d", "3651d"])
def test_duration_refusals(text: str) -> None:
    """Unicode digits (int('²') raised), zero, negative and absurd durations are refused."""
    with pytest.raises(DurationError):
        parse_duration(text)


@FAST
@given(st.text() | TIMEISH, st.sampled_from(ZONES))
def test_post_time_is_total(text: str, tz: ZoneInfo) -> None:
    """Any text in any zone: an instant after now, within a year, or PostError."""
    try:
        when = parse_when(text, NOW, tz)
    except PostError:
        return
    assert NOW <= when <= NOW + MAX_AHEAD


@FAST
@given(st.integers(1, 365 * 24 * 60), st.sampled_from(ZONES))
def test_post_time_round_trips(minutes: int, tz: ZoneInfo) -> None:
    """A local time written as the README shows it reads back as the same wall-clock time;
    +N<m|h|d> is N units from now."""
    local = (NOW + timedelta(minutes=minutes)).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    try:
        when = parse_when(local, NOW, tz)
    except PostError as exc:  # only a time that DST makes ambiguous may fall just before now
        assert "in the past" in str(exc)
        return
    assert when.astimezone(tz).strftime("%Y-%m-%dT%H:%M") == local
    assert parse_when(f"+{minutes}m", NOW, tz) == NOW + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("text", "zone", "reason"),
    [
        ("0001-01-01T00:00", "Europe/Berlin", "out of range"),  # used to raise OverflowError
        ("9999-12-31T23:59", "America/New_York", "out of range"),
        ("٢٠٢٦-١٢-٠١T09:00", "UTC", "not a time"),  # strptime reads Arabic-Indic digits
        ("+²m", "UTC", "not a time"),
        ("+0m", "UTC", "positive"),
        ("+999999d", "UTC", "more than a year"),
    ],
)
def test_post_time_refusals(text: str, zone: str, reason: str) -> None:
    """Times out of datetime's range, non-ASCII digits and absurd delays get a clear refusal."""
    with pytest.raises(PostError, match=reason):
        parse_when(text, NOW, ZoneInfo(zone))


@FAST
@given(st.text() | st.from_regex(r"[0-9²١٢３]{1,3}-[0-9²١٢３]{1,3}", fullmatch=True))
def test_quiet_is_total(text: str) -> None:
    """Any /quiet argument: off, a window of two different hours, or QuietHoursError."""
    try:
        window = parse_quiet(text)
    except QuietHoursError:
        return
    assert window is None or (0 <= window[0] <= 23 and 0 <= window[1] <= 23)


@FAST
@given(st.integers(0, 23), st.integers(0, 23), st.booleans())
def test_quiet_round_trips(start: int, end: int, padded: bool) -> None:
    """``HH-HH`` (padded or not) is that window; equal hours are refused."""
    text = f"{start:02d}-{end:02d}" if padded else f"{start}-{end}"
    if start == end:
        with pytest.raises(QuietHoursError):
            parse_quiet(text)
    else:
        assert parse_quiet(text) == (start, end)


@pytest.mark.parametrize("text", ["²-8", "22-٠٨", "２２-08"])
def test_quiet_unicode_digits_are_refused(text: str) -> None:
    """/quiet ²-8 gets the usage (int('²') used to raise a bare ValueError)."""
    with pytest.raises(QuietHoursError):
        parse_quiet(text)


WORDS = st.lists(
    st.text(max_size=12)
    | st.builds("{}={}".format, st.sampled_from(sorted(DECLARED)), st.text(max_size=12) | TIMEISH),
    max_size=5,
)


@FAST
@given(WORDS)
def test_runjob_args_are_total(words: list[str]) -> None:
    """Any /runjob words: values of the declared types within bounds, or ArgsError."""
    try:
        values = parse_args(DECLARED, words)
    except ArgsError:
        return
    for key, value in values.items():
        assert isinstance(value, DECLARED[key])
    assert abs(values.get("limit", 0)) <= ID_MAX and math.isfinite(values.get("ratio", 0.0))


@FAST
@given(
    st.integers(-ID_MAX, ID_MAX),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(),
)
def test_runjob_args_round_trip(limit: int, ratio: float, dry: bool, day: date) -> None:
    """Values written as text read back as themselves."""
    words = [f"limit={limit}", f"ratio={ratio!r}", f"dry={str(dry).lower()}", f"day={day}"]
    expected: dict[str, Any] = {"limit": limit, "ratio": ratio, "dry": dry, "day": day}
    assert parse_args(DECLARED, words) == expected


@pytest.mark.parametrize(
    "word",
    [
        "limit=١٢",
        "limit=²",
        "limit=1_000",
        f"limit={ID_MAX + 1}",
        "ratio=nan",
        "ratio=1e999",
        "ratio=١.٥",
        "day=٢٠٢٦-01-01",
        "at=2026-13-01T00:00",
    ],
)
def test_runjob_args_refusals(word: str) -> None:
    """Non-ASCII digits (int('١٢') is 12), ids beyond BIGINT, nan/inf and bad dates are refused."""
    with pytest.raises(ArgsError, match="must be"):
        parse_args(DECLARED, [word])


@FAST
@given(st.text() | st.from_regex(r"(every |daily )?[0-9²١.]{1,12}[:smh]?[0-9²]{0,3}"))
def test_schedule_is_total(text: str) -> None:
    """Any schedule setting: a schedule or ScheduleError (int('²') used to escape)."""
    with contextlib.suppress(ScheduleError):
        parse_schedule(text)


@pytest.mark.parametrize("text", ["every ²m", "every 1" + "0" * 400 + "s", "²:30", "daily 0٩:00"])
def test_schedule_refusals(text: str) -> None:
    """Unicode digits and intervals too long to be finite are unreadable schedules."""
    with pytest.raises(ScheduleError):
        parse_schedule(text)
