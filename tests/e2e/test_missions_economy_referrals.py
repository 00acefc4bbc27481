"""Missions, points and referrals through the real bot and the sandbox over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.core.people import users
from bot.modules.economy.models import LedgerEntry
from bot.modules.missions.models import Mission, MissionAssignment
from bot.sandbox import SentMessage
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness, settle
from tests.helpers.clocks import MORNING

# Flood limits lifted: these tests exchange several messages with one user within seconds, and
# pacing replies is the rate limiter's concern, tested on its own.
pytestmark = pytest.mark.lifted_limits


@pytest.fixture
async def bot(harness_factory: Callable[..., Any]) -> Harness:
    harness: Harness = await harness_factory(clock=ManualClock(MORNING), **UNPACED)
    return harness


async def _mission(bot: Harness, user_id: int) -> SentMessage:
    (reply,) = await bot.say(user_id, "/mission")
    assert "Today's mission" in (reply.text or "") and reply.buttons()
    return reply


async def _press(bot: Harness, user_id: int, message: SentMessage, data: str) -> dict[str, Any]:
    world = bot.sandbox.world
    before = len(world.callback_answers)
    world.press(user_id, message, data)
    await bot.wait(lambda: len(world.callback_answers) > before)
    answer: dict[str, Any] = world.callback_answers[before]
    return answer


async def _ledger(bot: Harness) -> list[tuple[int, int, str, str]]:
    async with bot.services.db.session() as session:
        rows = await session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
        return [(r.user_id, r.amount, r.reason, r.reference) for r in rows]


async def test_done_once_pays_points_and_the_inviter(bot: Harness) -> None:
    """Done completes once: the message shows points and streak, /balance the points, the
    inviter is rewarded once; a second press changes nothing."""
    await bot.reply(500, "/start")
    await bot.reply(501, "/start ref_500")
    message = await _mission(bot, 501)
    data = message.buttons()[0]["callback_data"]
    first = await _press(bot, 501, message, data)
    assert first["text"].startswith("+")
    await bot.wait(lambda: message.edits == 1)
    assert "Mission complete" in (message.text or "") and "Streak: 1 day" in (message.text or "")
    ledger = await _ledger(bot)
    second = await _press(bot, 501, message, data)
    assert "Already done" in second["text"] and await _ledger(bot) == ledger
    assert [row[2] for row in ledger] == ["mission", "referral"] and ledger[1][0] == 500
    balance = await bot.reply(501, "/balance")
    assert f"Points: {ledger[0][1]}" in balance and "Streak: 1 day" in balance
    # The inviter's notice comes through the outbox; let it land first, so the next message
    # to 500 is the /balance answer.
    world = bot.sandbox.world
    await bot.wait(lambda: any("you earned 100 points" in (m.text or "") for m in world.to(500)))
    assert "Points: 100" in await bot.reply(500, "/balance")


async def test_forged_and_garbage_callbacks_change_nothing(bot: Harness) -> None:
    """Someone else's assignment id or garbage data gets a clear answer and no change."""
    await bot.reply(600, "/start")
    await bot.reply(601, "/start")
    message = await _mission(bot, 600)
    data = message.buttons()[0]["callback_data"]
    forged = await _press(bot, 601, message, data)
    garbage = await _press(bot, 600, message, "mission:done:abc")
    assert "not valid" in forged["text"] and "not valid" in garbage["text"]
    assert await _ledger(bot) == [] and message.edits == 0


async def test_invite_shows_link_and_counts(bot: Harness) -> None:
    """/invite gives the t.me link with ref_<id> and counts joined and rewarded friends."""
    await bot.reply(700, "/start")
    await bot.reply(701, "/start ref_700")
    text = await bot.reply(700, "/invite")
    assert "https://t.me/companion_sandbox_bot?start=ref_700" in text
    assert "Friends who joined: 1" in text and "Rewards earned: 0" in text


async def test_admin_catalogue_commands_and_bad_input(bot: Harness) -> None:
    """/addmission adds, /retiremission retires, /missions lists; bad input changes nothing."""
    assert "Morning stretch" in await bot.reply(ADMIN, "/missions")
    added = await bot.reply(ADMIN, "/addmission 30 Sing a song | Sing one song out loud.")
    assert added.startswith("Added mission #13")
    for bad in (
        "/addmission",
        "/addmission ten Walk | d",
        "/addmission 5000 Walk | d",
        "/addmission 5 Walk",
    ):
        assert "Added" not in await bot.reply(ADMIN, bad)
    assert "no mission #999" in await bot.reply(ADMIN, "/retiremission 999")
    assert "Usage" in await bot.reply(ADMIN, "/retiremission abc")
    assert "is retired" in await bot.reply(ADMIN, "/retiremission 13")
    assert "Sing a song (retired)" in await bot.reply(ADMIN, "/missions")
    assert "admins only" in await bot.reply(500, "/addmission 5 Walk | d")
    async with bot.services.db.session() as session:
        missions = list(await session.scalars(select(Mission)))
    assert len(missions) == 13 and sum(m.active for m in missions) == 12


async def test_runjob_send_daily_queues_one_mission_per_user_once(bot: Harness) -> None:
    """/runjob missions.send_daily: every reachable user receives exactly one mission message
    with the Done button of their assignment (a blocked one gets none); a second run sends
    nothing new."""
    reachable = (800, 801, 802)
    for user_id in (*reachable, 803):
        await bot.reply(user_id, "/start")
    bot.sandbox.world.block(803)
    await _until_unreachable(bot, 803)
    _, first = await bot.say(ADMIN, "/runjob missions.send_daily", replies=2)
    assert "assigned 3, queued 3, already had one 0" in (first.text or "")
    await bot.wait(lambda: all(len(_missions_to(bot, u)) == 1 for u in reachable), timeout=15)
    clock = bot.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(60)  # a manual run is claimed per instant; the frozen clock must move
    _, second = await bot.say(ADMIN, "/runjob missions.send_daily", replies=2)
    assert "assigned 0, queued 0, already had one 3" in (second.text or "")
    async with bot.services.db.session() as session:
        keys = list(await session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.key)))
        assigned = dict(
            (await session.execute(select(MissionAssignment.user_id, MissionAssignment.id))).all()
        )
    assert sorted(assigned) == list(reachable)
    assert keys == [f"mission:2026-11-21:{u}" for u in reachable]
    await settle(bot)  # every due row recorded: anything sent again would be in the world
    for user_id in reachable:
        [message] = _missions_to(bot, user_id)
        [done] = message.buttons()
        assert done["callback_data"] == f"mission:done:{assigned[user_id]}"
    assert _missions_to(bot, 803) == []


def _missions_to(bot: Harness, user_id: int) -> list[SentMessage]:
    """Mission messages the sandbox received for ``user_id`` (not the /start greeting)."""
    return [m for m in bot.sandbox.world.to(user_id) if "Today's mission" in (m.text or "")]


async def _until_unreachable(bot: Harness, user_id: int) -> None:
    for _ in range(100):
        async with bot.services.db.session() as session:
            user = await session.get(users.User, user_id)
            if user is not None and not user.reachable:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the block was not recorded")
