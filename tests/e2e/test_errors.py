"""An exception no handler caught: the user is answered with a reference, the traceback is
logged with it, the admins are alerted once per kind an hour, the transaction is undone.

The fault is real: a table the handler needs is dropped from the running bot's database."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from structlog.testing import capture_logs

from bot.core.kernel.clock import ManualClock
from bot.modules.missions.models import MissionAssignment
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness, settle
from tests.helpers.clocks import MORNING

# Flood limits lifted: several exchanges with one user within a second.
pytestmark = pytest.mark.lifted_limits

USER = 800
REF = re.compile(
    r"^Something went wrong on our side \(ref ([0-9a-f]{6})\)\. The admins have been told\.$"
)


@pytest.fixture
async def bot(harness_factory: Callable[..., Any]) -> Harness:
    harness: Harness = await harness_factory(clock=ManualClock(MORNING), **UNPACED)
    harness.sandbox.world.user(ADMIN)  # has opened the bot's chat: alerts can reach them
    await harness.reply(USER, "/start")
    await settle(harness)
    return harness


async def _drop(bot: Harness, table: str) -> None:
    async with bot.services.db.engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE {table}"))


async def _press_done(bot: Harness) -> str:
    """Show the mission, press its Done button; the text of the button's answer."""
    (message,) = await bot.say(USER, "/mission")
    world = bot.sandbox.world
    before = len(world.callback_answers)
    world.press(USER, message, message.buttons()[0]["callback_data"])
    await bot.wait(lambda: len(world.callback_answers) > before)
    answer: str = world.callback_answers[before]["text"]
    return answer


def _alerts(bot: Harness) -> list[str]:
    return [
        m.text or "" for m in bot.sandbox.world.to(ADMIN) if "Unhandled error" in (m.text or "")
    ]


async def test_failed_button_is_answered_logged_alerted_and_rolled_back(bot: Harness) -> None:
    """Done fails inside its transaction (no ledger table): the button gets an answer with a
    reference, the log has the traceback under it, the admin an alert, the mission stays open."""
    await _drop(bot, "transactions")
    with capture_logs() as logs:
        answer = await _press_done(bot)
    found = REF.match(answer)
    assert found, answer
    ref = found.group(1)
    (entry,) = [e for e in logs if e.get("ref") == ref and e["event"] == "unhandled error"]
    assert entry["where"] == "missions.handlers.done_pressed" and entry["exc_info"]
    (alert,) = await bot.wait(lambda: _alerts(bot))
    # SQLite says OperationalError for a missing table, PostgreSQL ProgrammingError.
    assert ref in alert and re.search(
        r"(Operational|Programming)Error in missions.handlers.done_pressed", alert
    )
    async with bot.services.db.session() as session:
        statuses = list(await session.scalars(select(MissionAssignment.status)))
    assert [str(s) for s in statuses] == ["open"]


async def test_one_alert_per_kind_per_hour(bot: Harness) -> None:
    """The same failure again within the hour alerts nobody (the user is still answered); an
    hour later, or another kind of failure (a command's reply), alerts once more."""
    await _drop(bot, "transactions")
    assert REF.match(await _press_done(bot))
    await bot.wait(lambda: len(_alerts(bot)) == 1)
    assert REF.match(await _press_done(bot))
    await _drop(bot, "balances")
    assert REF.match(await bot.reply(USER, "/balance"))
    await bot.wait(lambda: len(_alerts(bot)) == 2)
    assert "in economy.handlers.balance" in _alerts(bot)[1]
    clock = bot.services.clock
    assert isinstance(clock, ManualClock)
    clock.set(MORNING + timedelta(minutes=61))
    assert REF.match(await _press_done(bot))
    await bot.wait(lambda: len(_alerts(bot)) == 3)
    assert "done_pressed" in _alerts(bot)[2] and "1 more of this kind" in _alerts(bot)[2]
