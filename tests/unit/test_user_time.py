"""Users' zones and daily times: the zone parser and the next local occurrence across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.people import zones
from bot.core.people.user_times import next_occurrence, occurrence
from bot.modules.missions.times import TimeOfDayError, parse_time_of_day

KYIV, NEW_YORK = ZoneInfo("Europe/Kyiv"), ZoneInfo("America/New_York")
LORD_HOWE, KATHMANDU = ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kathmandu")
ZONES = (KYIV, NEW_YORK, LORD_HOWE, KATHMANDU)
NAMES = sorted(n for n in available_timezones() if "/" in n)

# (zone, local day, a wall time that does not exist that day, the first valid one after it)
SPRING = [
    (KYIV, date(2027, 3, 28), time(3, 30), time(4, 0)),
    (NEW_YORK, date(2027, 3, 14), time(2, 30), time(3, 0)),
    (LORD_HOWE, date(2026, 10, 4), time(2, 10), time(2, 30)),  # a 30-minute shift
]
# (zone, local day, a wall time that happens twice that day)
AUTUMN = [
    (KYIV, date(2026, 10, 25), time(3, 30)),
    (NEW_YORK, date(2026, 11, 1), time(1, 30)),
    (LORD_HOWE, date(2027, 4, 4), time(1, 45)),
]


@pytest.mark.parametrize(("tz", "day", "at", "first_valid"), SPRING)
def test_a_skipped_time_fires_at_the_first_valid_minute_after_it(
    tz: ZoneInfo, day: date, at: time, first_valid: time
) -> None:
    """Spring forward: a time the clocks jump over fires once, when the gap ends."""
    evening = datetime.combine(day - timedelta(days=1), time(20), tz)
    fired = next_occurrence(at, tz, evening)
    local = fired.astimezone(tz)
    assert (local.date(), local.time()) == (day, first_valid)
    following = next_occurrence(at, tz, fired).astimezone(tz)
    assert (following.date(), following.time()) == (day + timedelta(days=1), at)


@pytest.mark.parametrize(("tz", "day", "at"), AUTUMN)
def test_a_repeated_time_fires_once(tz: ZoneInfo, day: date, at: time) -> None:
    """Fall back: a time that happens twice fires at its first instance only."""
    first = datetime.combine(day, at, tz).astimezone(UTC)
    second = datetime.combine(day, at, tz).replace(fold=1).astimezone(UTC)
    assert second - first >= timedelta(minutes=30)  # really ambiguous
    assert next_occurrence(at, tz, first - timedelta(seconds=1)) == first
    following = next_occurrence(at, tz, first)
    assert following > second and following.astimezone(tz).date() == day + timedelta(days=1)
    assert next_occurrence(at, tz, second) == following  # asked during the repeated hour


def test_a_zone_without_daylight_saving_fires_every_24_hours() -> None:
    """Asia/Kathmandu (+05:45) never shifts: consecutive fires are exactly a day apart."""
    fire = next_occurrence(time(8), KATHMANDU, datetime(2026, 10, 1, tzinfo=UTC))
    assert fire == datetime(2026, 10, 1, 2, 15, tzinfo=UTC)
    for _ in range(200):
        following = next_occurrence(time(8), KATHMANDU, fire)
        assert following - fire == timedelta(days=1)
        fire = following


@given(
    tz=st.sampled_from(ZONES),
    minute=st.integers(0, 24 * 60 - 1),
    start=st.datetimes(datetime(2026, 1, 1), datetime(2028, 1, 1)),
)
def test_occurrences_fall_once_on_every_local_day(
    tz: ZoneInfo, minute: int, start: datetime
) -> None:
    """Successive occurrences are strictly later, one per local day, none skipped, at the
    wall time asked (or at the first valid minute after it, within the DST gap)."""
    at, after = time(minute // 60, minute % 60), start.replace(tzinfo=UTC)
    fire = next_occurrence(at, tz, after)
    assert fire > after and fire - after <= timedelta(hours=27)
    for _ in range(3):
        following = next_occurrence(at, tz, fire)
        days = (following.astimezone(tz).date() - fire.astimezone(tz).date()).days
        assert following > fire and days == 1
        local = following.astimezone(tz)
        gap = datetime.combine(local.date(), at) - local.replace(tzinfo=None)
        assert gap == timedelta(0) or timedelta(minutes=-60) <= gap < timedelta(0)
        assert following == occurrence(local.date(), at, tz)
        fire = following


@given(
    sign=st.sampled_from("+-"),
    hours=st.integers(0, 14),
    minutes=st.sampled_from([0, 15, 30, 45]),
    prefix=st.sampled_from(["", "UTC", "utc", "GMT"]),
    colon=st.booleans(),
)
def test_an_offset_parses_to_that_fixed_offset(
    sign: str, hours: int, minutes: int, prefix: str, colon: bool
) -> None:
    """`+5:45`, `UTC-3`, `GMT+0530`: a fixed offset in range is stored as `UTC±HH:MM`
    and means exactly that offset; one out of range is refused."""
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
    text = f"{prefix}{sign}{hours}" + (f":{minutes:02d}" if colon else f"{minutes:02d}")
    if not zones.OFFSET_MIN <= offset <= zones.OFFSET_MAX:
        with pytest.raises(zones.ZoneError):
            zones.parse_zone(text)
        return
    stored = zones.parse_zone(text)
    assert zones.resolve(stored).utcoffset(datetime(2026, 7, 1)) == offset
    assert zones.parse_zone(stored) == stored


@given(name=st.sampled_from(NAMES), upper=st.booleans(), spaced=st.booleans())
def test_an_iana_name_parses_to_itself_in_any_case(name: str, upper: bool, spaced: bool) -> None:
    """Any IANA name, in any case and with spaces for underscores, is that zone."""
    text = name.upper() if upper else name.lower()
    text = text.replace("_", " ") if spaced else text
    assert zones.parse_zone(text) == name or zones.parse_zone(text).lower() == name.lower()


@given(text=st.text(max_size=80))
def test_any_text_is_a_zone_or_a_clear_refusal(text: str) -> None:
    """Arbitrary input never raises anything but ZoneError, and what it accepts resolves."""
    try:
        stored = zones.parse_zone(text)
    except zones.ZoneError as exc:
        assert all(zones.parse_zone(s) for s in exc.suggestions if "…" not in s)
        return
    assert zones.resolve(stored) is not None


def test_a_misspelt_zone_gets_the_closest_names() -> None:
    """`Europe/Kiyv` and `kathmandoo` are refused with the zone meant among the suggestions."""
    for text, meant in (("Europe/Kiyv", "Europe/Kyiv"), ("kathmandoo", "Asia/Kathmandu")):
        with pytest.raises(zones.ZoneError) as caught:
            zones.parse_zone(text)
        assert meant in caught.value.suggestions


def test_a_city_alone_names_its_zone() -> None:
    """`Kyiv`, `new york`: a city that names one zone is that zone."""
    assert zones.parse_zone("Kyiv") == "Europe/Kyiv"
    assert zones.parse_zone("new york") == "America/New_York"


def test_the_suggested_list_starts_with_the_users_region() -> None:
    """`en-US` suggests US zones first; a tag with no region still offers the bot's zone."""
    us = zones.suggested("en-US", "Europe/Kyiv")
    assert us[0] == "America/New_York" and "Europe/Kyiv" in us and "UTC" in us
    assert "Europe/Kyiv" in zones.suggested("uk", "Europe/Berlin")
    assert zones.suggested(None, "Europe/Berlin") == ["Europe/Berlin", "UTC"]


@pytest.mark.parametrize(
    ("text", "minute"), [("08:30", 510), ("8.05", 485), ("23:59", 1439), ("7", 420), ("0:00", 0)]
)
def test_a_time_of_day_parses(text: str, minute: int) -> None:
    """/missiontime accepts HH:MM, H.MM and a bare hour."""
    assert parse_time_of_day(text) == minute


@given(text=st.text(max_size=12))
def test_a_time_of_day_is_valid_or_refused(text: str) -> None:
    """Any text is a minute of the day or a TimeOfDayError, never anything else."""
    try:
        minute = parse_time_of_day(text)
    except TimeOfDayError:
        return
    assert 0 <= minute < 24 * 60
