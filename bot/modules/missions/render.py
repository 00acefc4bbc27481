"""How a mission looks in a chat; shared by /mission and the daily outbox message."""

from __future__ import annotations

from typing import Any

from bot.core.parse import SERIAL_MAX, ascii_int
from bot.modules.missions.models import Mission

DONE_PREFIX = "mission:done:"


def mission_text(mission: Mission) -> str:
    return (
        f"🎯 Today's mission: {mission.title}\n\n{mission.description}\n\n"
        f"Worth {mission.points} points. Press Done when you have done it."
    )


def done_keyboard(assignment_id: int) -> dict[str, Any]:
    """The inline keyboard (Bot API JSON) with the Done button of one assignment."""
    button = {"text": "✅ Done", "callback_data": f"{DONE_PREFIX}{assignment_id}"}
    return {"inline_keyboard": [[button]]}


def completed_text(mission: Mission, streak: int) -> str:
    days = "day" if streak == 1 else "days"
    return (
        f"✅ Mission complete: {mission.title}\n\n"
        f"+{mission.points} points. Streak: {streak} {days} in a row.\n"
        "See /balance for your points."
    )


def parse_done(data: str | None) -> int | None:
    """The assignment id in ``mission:done:<id>`` callback data; None if malformed."""
    if not data or not data.startswith(DONE_PREFIX):
        return None
    return ascii_int(data.removeprefix(DONE_PREFIX), 1, SERIAL_MAX)
