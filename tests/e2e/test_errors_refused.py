"""A chat that refuses the answer (the user blocked the bot while it was answering) is a
normal day: no ERROR line, no admin alert, and the press is still answered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.e2e.test_commands_authz import all_jobs_disabled
from tests.helpers.logs import ErrorRecords

USER = 2


async def test_a_press_whose_edit_is_refused_is_not_an_unhandled_error(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """/notifications, then the user blocks the bot and a toggle they pressed just before is
    handled: its edit is refused (403). Nothing is logged at ERROR, the admins are not
    alerted, and the press has its answer."""
    h: Harness = await harness_factory(jobs=all_jobs_disabled(tmp_path), **UNPACED)
    world, errors = h.sandbox.world, ErrorRecords()
    await h.reply(ADMIN, "/start")
    await h.reply(USER, "/start")
    [menu] = await h.say(USER, "/notifications")
    await h.idle()
    alerts_before = len(world.to(ADMIN))
    logging.getLogger().addHandler(errors)
    try:
        world.user(USER).blocked = True  # Telegram's my_chat_member update is still on its way
        query = world.press(USER, menu, str(menu.buttons()[0]["callback_data"]))
        await h.idle()
    finally:
        logging.getLogger().removeHandler(errors)
    assert [a for a in world.callback_answers if a["callback_query_id"] == query]
    assert errors.take() == []
    assert world.to(ADMIN)[alerts_before:] == []
