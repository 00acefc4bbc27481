"""An edit that would change nothing (the same button pressed twice) is not an error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import UNPACED, Harness
from tests.e2e.test_commands_authz import all_jobs_disabled
from tests.helpers.logs import ErrorRecords

USER = 2


async def test_pressing_the_chosen_language_again_is_answered_once_without_an_error(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """/language, then "Українська" pressed twice: the second press (whose edit Telegram
    answers "message is not modified") is answered once, like the first, and nothing is
    logged at ERROR; the message keeps the chosen language ticked."""
    h: Harness = await harness_factory(jobs=all_jobs_disabled(tmp_path), **UNPACED)
    world, errors = h.sandbox.world, ErrorRecords()
    await h.reply(USER, "/start")
    [menu] = await h.say(USER, "/language")
    logging.getLogger().addHandler(errors)
    try:
        queries = [world.press(USER, menu, "lang:set:uk") for _ in range(2)]
        await h.idle()
    finally:
        logging.getLogger().removeHandler(errors)
    answers = [[a for a in world.callback_answers if a["callback_query_id"] == q] for q in queries]
    assert [len(a) for a in answers] == [1, 1]
    assert answers[1][0]["text"] == answers[0][0]["text"]
    assert errors.take() == []
    assert menu.edits == 1 and "✅ Українська" in str(menu.reply_markup)
