"""How a mission looks in a chat; shared by /mission and the daily outbox message.

Texts are written in the current language (:mod:`bot.core.people.i18n`): the user's own when
answering them, the recipient's when the daily job queues their message.
"""

from __future__ import annotations

from typing import Any

from bot.core.kernel import SERIAL_MAX, ascii_int
from bot.core.people import _, current, ngettext, number
from bot.modules.missions.models import Mission

DONE_PREFIX = "mission:done:"


def mission_text(mission: Mission) -> str:
    worth = ngettext("Worth {points} point.", "Worth {points} points.", mission.points)
    language = current()
    return _("🎯 Today's mission: {title}\n\n{description}\n\n{worth} {press}").format(
        title=mission.title_in(language),
        description=mission.description_in(language),
        worth=worth.format(points=number(mission.points)),
        press=_("Press Done when you have done it."),
    )


def done_keyboard(assignment_id: int) -> dict[str, Any]:
    """The inline keyboard (Bot API JSON) with the Done button of one assignment."""
    button = {"text": _("✅ Done"), "callback_data": f"{DONE_PREFIX}{assignment_id}"}
    return {"inline_keyboard": [[button]]}


def completed_text(mission: Mission, streak: int) -> str:
    earned = ngettext("+{points} point.", "+{points} points.", mission.points)
    in_a_row = ngettext("Streak: {days} day in a row.", "Streak: {days} days in a row.", streak)
    text = _("✅ Mission complete: {title}\n\n{earned} {streak}\nSee /balance for your points.")
    return text.format(
        title=mission.title_in(current()),
        earned=earned.format(points=number(mission.points)),
        streak=in_a_row.format(days=number(streak)),
    )


def parse_done(data: str | None) -> int | None:
    """The assignment id in ``mission:done:<id>`` callback data; None if malformed."""
    if not data or not data.startswith(DONE_PREFIX):
        return None
    return ascii_int(data.removeprefix(DONE_PREFIX), 1, SERIAL_MAX)
