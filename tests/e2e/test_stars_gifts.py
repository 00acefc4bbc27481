"""Streak gifts: a Telegram gift per (user, milestone), paid from the bot's Stars, within a
monthly budget, through the real bot and the sandbox's sendGift over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.kernel.clock import ManualClock
from bot.modules.economy.models import StreakGift
from bot.modules.missions.events import MissionCompleted
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness, settle
from tests.helpers.clocks import MORNING

pytestmark = pytest.mark.lifted_limits

GIFTS = {"gift_id": "gift-bear", "gift_streak_days": "1,2,3"}  # gift-bear costs 15 Stars


@pytest.fixture
def start(harness_factory: Callable[..., Any]) -> Callable[..., Any]:
    async def started(**overrides: Any) -> Harness:
        values = {**UNPACED, **GIFTS, **overrides}
        harness: Harness = await harness_factory(clock=ManualClock(MORNING), **values)
        harness.sandbox.world.user(ADMIN)  # has opened the bot's chat: alerts can reach them
        harness.sandbox.world.star_balance = 1000  # Stars the bot holds
        await settle(harness)
        return harness

    return started


async def _reach(bot: Harness, user_id: int, streak: int, assignment: int) -> None:
    """``MissionCompleted`` published as the missions module does, in a unit of work."""
    bot.sandbox.world.user(user_id)  # someone Telegram knows
    event = MissionCompleted(user_id, assignment, 1, 10, streak, date(2026, 11, 21))
    async with bot.services.uow() as uow:
        await uow.publish(event)


async def _rows(bot: Harness) -> list[tuple[int, int, str]]:
    async with bot.services.db.session() as session:
        rows = await session.scalars(select(StreakGift).order_by(StreakGift.id))
        return [(r.user_id, r.milestone, r.status) for r in rows]


def _sent(bot: Harness) -> list[tuple[int, str]]:
    return [(int(g["user_id"]), str(g["gift_id"])) for g in bot.sandbox.world.gifts]


async def test_a_completed_mission_at_a_milestone_sends_one_gift(start: Any) -> None:
    """The Done button at a 1-day milestone sends the gift once, with its text; the same
    completion delivered again, and the streak reached again, send nothing more."""
    bot = await start(gift_monthly_budget="100")
    world = bot.sandbox.world
    await bot.reply(700, "/start")
    (mission,) = await bot.say(700, "/mission")
    world.press(700, mission, mission.buttons()[0]["callback_data"])
    await bot.wait(lambda: len(world.gifts) == 1)
    assert _sent(bot) == [(700, "gift-bear")]
    assert "1-day streak" in str(world.gifts[0]["text"])
    assert world.star_balance == 1000 - 15
    await _reach(bot, 700, 1, 1)  # the event delivered twice
    await _reach(bot, 700, 1, 99)  # the streak reached again later
    await bot.run_job("economy.send_gifts")
    await bot.idle()
    assert _sent(bot) == [(700, "gift-bear")] and await _rows(bot) == [(700, 1, "sent")]


async def test_the_monthly_budget_is_never_exceeded_and_admins_are_told_once(start: Any) -> None:
    """Budget 30 Stars, gifts of 15: the first two milestones get gifts; the third and a
    second user's milestone over the budget get none, and the admins one alert."""
    bot = await start(gift_monthly_budget="30")
    world = bot.sandbox.world
    before = len(world.to(ADMIN))
    for streak in (1, 2, 3):
        await _reach(bot, 710, streak, streak)
    await _reach(bot, 711, 1, 10)
    await bot.run_job("economy.send_gifts")
    await bot.idle()
    assert _sent(bot) == [(710, "gift-bear"), (710, "gift-bear")]
    assert await _rows(bot) == [
        (710, 1, "sent"),
        (710, 2, "sent"),
        (710, 3, "over_budget"),
        (711, 1, "over_budget"),
    ]
    alerts = [m for m in world.to(ADMIN)[before:] if "gift budget" in (m.text or "")]
    assert len(alerts) == 1 and "30 Stars" in (alerts[0].text or "")


async def test_a_refused_gift_is_released_and_sent_once_by_the_job(start: Any) -> None:
    """BALANCE_TOO_LOW leaves the claim pending and uncounted; once the bot has Stars, the
    job sends it exactly once."""
    bot = await start(gift_monthly_budget="15")
    world = bot.sandbox.world
    world.star_balance = 5
    await _reach(bot, 720, 2, 1)
    await bot.idle()
    assert world.gifts == [] and await _rows(bot) == [(720, 2, "pending")]
    async with bot.services.db.session() as session:
        row = (await session.scalars(select(StreakGift))).one()
        assert row.attempts == 1 and "balance_too_low" in (row.last_error or "").lower()
        assert row.star_count is None  # not counted against the budget
    world.star_balance = 100
    await bot.run_job("economy.send_gifts")
    await bot.run_job("economy.send_gifts")
    assert _sent(bot) == [(720, "gift-bear")] and await _rows(bot) == [(720, 2, "sent")]
    assert world.star_balance == 85


async def test_no_gift_without_a_gift_id(start: Any) -> None:
    """With GIFT_ID empty, a milestone claims and sends nothing."""
    bot = await start(gift_id="", gift_monthly_budget="100")
    await _reach(bot, 730, 1, 1)
    await bot.run_job("economy.send_gifts")
    await bot.idle()
    assert bot.sandbox.world.gifts == [] and await _rows(bot) == []
