"""When a broadcast goes out: its terms read totally, each zone's instants DST-correct."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.people import AudienceError
from bot.modules.broadcast import when
from bot.modules.broadcast.drafts import read_line
from bot.modules.broadcast.scheduled import instant, read_schedule

KYIV, NEW_YORK = ZoneInfo("Europe/Kyiv"), ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # 14:00 in Kyiv, 08:00 in New York


def test_the_audience_line_gives_the_audience_and_the_time() -> None:
    audience, schedule = read_line("lang:uk local:09:00 every:week -tag:x")
    assert str(audience) == "lang:uk -tag:x"
    assert schedule == when.When(time(9, 0), None, local=True, every="week")
    assert str(schedule) == "local:09:00 every:week"
    assert read_schedule(str(schedule)) == schedule
    assert read_line("at:2026-12-24T18:30")[1] == when.When(
        time(18, 30), NOW.date().replace(month=12, day=24)
    )
    assert read_line("")[1].now and str(read_line("")[1]) == ""


@pytest.mark.parametrize(
    "line",
    [
        "at:25:00",
        "at:9:5",
        "at:09:60",
        "at:0९:00",  # a Devanagari digit
        "at:2026-02-30T09:00",
        "at:26-12-24T09:00",
        "at:09:00 local:10:00",
        "at:09:00 at:10:00",
        "at:09:00,10:00",
        "every:month at:09:00",
        "every:week",  # no time
        "-at:09:00",
    ],
)
def test_bad_times_are_refused_with_a_reason(line: str) -> None:
    with pytest.raises(when.WhenError) as refused:
        read_line(line)
    assert str(refused.value)


def test_a_time_of_day_is_the_next_one_and_a_date_must_be_ahead() -> None:
    nine = when.When(time(9, 0))
    assert when.first(nine, KYIV, NOW) == datetime(2026, 3, 21, 7, 0, tzinfo=UTC)  # tomorrow
    assert when.first(nine, NEW_YORK, NOW) == datetime(2026, 3, 20, 13, 0, tzinfo=UTC)  # today
    with pytest.raises(when.WhenError, match="passed"):
        when.first(when.When(time(9, 0), NOW.date()), KYIV, NOW)
    with pytest.raises(when.WhenError, match="year"):
        when.first(when.When(time(9, 0), NOW.date() + timedelta(days=400)), KYIV, NOW)
    # A local-time broadcast's date passed in one zone: due at once there, not refused.
    local = when.When(time(9, 0), NOW.date(), local=True)
    assert when.first(local, KYIV, NOW) < NOW < when.first(local, NEW_YORK, NOW)


def test_each_occurrence_is_the_same_wall_clock_time_across_dst() -> None:
    """Weekly at 09:00 local from 20 March 2026: Kyiv moves to summer time on 29 March, New
    York moved on 8 March; every occurrence is 09:00 on the wall, one week apart."""
    weekly = when.When(time(9, 0), local=True, every="week")
    for zone in (KYIV, NEW_YORK):
        seen = [instant(weekly, zone, NOW, k).astimezone(zone) for k in range(4)]
        assert [at.time() for at in seen] == [time(9, 0)] * 4
        assert [(b.date() - a.date()).days for a, b in itertools.pairwise(seen)] == [7] * 3
    kyiv = [instant(weekly, KYIV, NOW, k) for k in range(3)]
    assert kyiv[1] - kyiv[0] == timedelta(days=7)
    assert kyiv[2] - kyiv[1] == timedelta(days=7, hours=-1)  # summer time began between


@given(st.text(max_size=60))
def test_any_line_gives_an_audience_and_a_time_or_a_reason(text: str) -> None:
    try:
        _audience, schedule = read_line(text)
    except AudienceError:
        return
    assert read_schedule(str(schedule)) == schedule
