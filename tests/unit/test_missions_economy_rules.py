"""Pure rules of missions and the economy: streaks, bonuses, variety, parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.modules.economy.service import streak_bonus
from bot.modules.missions.catalogue import InvalidMission, parse_new_mission
from bot.modules.missions.models import Mission
from bot.modules.missions.render import parse_done
from bot.modules.missions.service import next_streak, pick_mission

D = date(2026, 11, 21)


def _mission(mission_id: int) -> Mission:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Mission(id=mission_id, title="t", description="d", points=1, kind="k", created_at=now)


def test_streak_grows_on_consecutive_days_and_restarts_after_a_gap() -> None:
    """Yesterday -> +1; same day -> unchanged; a gap or a first completion -> 1."""
    assert next_streak(0, None, D) == 1
    assert next_streak(4, date(2026, 11, 20), D) == 5
    assert next_streak(5, D, D) == 5
    assert next_streak(9, date(2026, 11, 19), D) == 1


def test_bonus_every_seventh_day() -> None:
    """The streak bonus is paid on days 7, 14, 21... and never otherwise."""
    assert [s for s in range(0, 30) if streak_bonus(s)] == [7, 14, 21, 28]


def test_pick_never_repeats_yesterday_when_there_is_a_choice() -> None:
    """Across users and days the pick avoids yesterday's mission and spreads over the catalogue."""
    catalogue = [_mission(i) for i in range(1, 6)]
    picked = set()
    for user in range(1, 200):
        for yesterday in range(1, 6):
            mission = pick_mission(catalogue, user, D, yesterday)
            assert mission is not None and mission.id != yesterday
            picked.add(mission.id)
    assert picked == {1, 2, 3, 4, 5}


def test_pick_with_a_single_mission_or_none() -> None:
    """One mission is reused even if it was yesterday's; an empty catalogue gives None."""
    only = _mission(1)
    assert pick_mission([only], 5, D, 1) is only
    assert pick_mission([], 5, D, None) is None


def test_addmission_parses_points_title_description() -> None:
    """A well-formed /addmission text yields its parts, whitespace tidied."""
    new = parse_new_mission(" 25  Go  outside | Walk for ten minutes. ")
    assert (new.points, new.title, new.description) == (25, "Go outside", "Walk for ten minutes.")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "Usage"),
        ("25 Walk outside", "Usage"),
        ("abc Walk | d", "whole number"),
        ("0 Walk | d", "whole number"),
        ("-5 Walk | d", "whole number"),
        ("1001 Walk | d", "whole number"),
        ("10 | description", "title and a description"),
        ("10 Title |   ", "title and a description"),
        ("10 " + "x" * 81 + " | d", "Too long"),
        ("10 Title | " + "y" * 301, "Too long"),
    ],
)
def test_addmission_rejects_malformed_text(text: str, complaint: str) -> None:
    """Malformed /addmission text raises with a message that says what is wrong."""
    with pytest.raises(InvalidMission, match=complaint):
        parse_new_mission(text)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "mission:done:",
        "mission:done:x1",
        "mission:done:-3",
        "other:done:1",
        "mission:done:" + "9" * 13,
    ],
)
def test_done_callback_data_garbage_is_rejected(data: str | None) -> None:
    """Callback data that is not ``mission:done:<id>`` parses to None."""
    assert parse_done(data) is None


def test_done_callback_data_parses_the_id() -> None:
    """``mission:done:42`` names assignment 42."""
    assert parse_done("mission:done:42") == 42
