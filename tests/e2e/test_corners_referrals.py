"""A friend's invite link that arrives before its inviter is known to the bot: the link is
kept (checked against the id format), and the inviter is rewarded once they register --
through the real bot and the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.kernel.clock import ManualClock
from bot.core.people import users
from bot.modules.economy.models import LedgerEntry
from bot.sandbox import SentMessage
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.clocks import MORNING

pytestmark = pytest.mark.lifted_limits

INVITER, FRIEND, OTHER = 8100, 8101, 8102


@pytest.fixture
async def bot(harness_factory: Callable[..., Any]) -> Harness:
    harness: Harness = await harness_factory(clock=ManualClock(MORNING), **UNPACED)
    return harness


async def _complete_first_mission(bot: Harness, user_id: int) -> None:
    """``/mission``, then its Done button. The answer is looked for among the user's new
    messages: a notice the outbox delivers meanwhile (a friend's reward) may come first."""
    world = bot.sandbox.world
    before = len(world.to(user_id))
    world.send_text(user_id, "/mission")
    message: SentMessage = await world.wait_until(
        lambda: next((m for m in world.to(user_id)[before:] if m.buttons()), None), 10
    )
    world.press(user_id, message, message.buttons()[0]["callback_data"])
    await bot.wait(lambda: message.edits == 1)


async def _referral_rewards(bot: Harness) -> list[tuple[int, str]]:
    async with bot.services.db.session() as session:
        rows = await session.execute(
            select(LedgerEntry.user_id, LedgerEntry.reference).where(
                LedgerEntry.reason == "referral"
            )
        )
        return [(user_id, reference) for user_id, reference in rows.all()]


def _notices(bot: Harness, user_id: int) -> list[SentMessage]:
    return [m for m in bot.sandbox.world.to(user_id) if "you earned" in (m.text or "")]


async def test_a_link_whose_inviter_starts_at_the_same_time_keeps_the_referral(
    bot: Harness,
) -> None:
    """The friend's /start ref_<inviter> and the inviter's own first /start arrive together
    (the inviter not yet in users when the friend's is handled): the friend keeps the
    inviter, and the inviter is paid once at the friend's first mission."""
    world = bot.sandbox.world
    world.send_text(FRIEND, f"/start ref_{INVITER}")
    world.send_text(INVITER, "/start")
    await bot.wait(lambda: world.to(FRIEND) and world.to(INVITER))
    async with bot.services.db.session() as session:
        friend = await session.get(users.User, FRIEND)
    assert friend is not None and friend.referrer_id == INVITER
    await _complete_first_mission(bot, FRIEND)
    await bot.wait(lambda: _notices(bot, INVITER))
    await bot.idle()
    assert await _referral_rewards(bot) == [(INVITER, str(FRIEND))]


async def test_an_inviter_who_registers_after_the_friends_first_mission_is_paid_then(
    bot: Harness,
) -> None:
    """A friend who came through the link of someone the bot has not met yet and completed
    their first mission: nothing is paid until the inviter's first /start, which pays them
    once (the hourly sweep pays nothing more); a link naming someone who never comes pays
    nobody."""
    await bot.reply(FRIEND, f"/start ref_{INVITER}")
    await bot.reply(OTHER, "/start ref_8999")
    await _complete_first_mission(bot, FRIEND)
    await _complete_first_mission(bot, OTHER)
    await bot.idle()
    assert await _referral_rewards(bot) == []
    await bot.reply(INVITER, "/start")
    await bot.wait(lambda: _notices(bot, INVITER))
    await bot.idle()
    assert "0 overdue" in (await bot.run_job("referrals.process") or "")
    assert await _referral_rewards(bot) == [(INVITER, str(FRIEND))]
    assert len(_notices(bot, INVITER)) == 1
    assert "Rewards earned: 1" in await bot.reply(INVITER, "/invite")


async def test_a_link_to_oneself_or_not_an_id_records_nobody(bot: Harness) -> None:
    """``ref_`` followed by one's own id, or by what is not a Telegram user id, records no
    inviter. Of two users who invite each other before either is known, the first link
    counts and the reverse one is refused (no cycle): one reward, to the first's inviter."""
    await bot.reply(8201, "/start ref_8201")
    await bot.reply(8202, "/start ref_0x10")
    await bot.reply(8203, "/start ref_8204")
    await bot.reply(8204, "/start ref_8203")
    async with bot.services.db.session() as session:
        found = {i: await session.get(users.User, i) for i in (8201, 8202, 8203, 8204)}
    assert [u.referrer_id if u else -1 for u in found.values()] == [None, None, 8204, None]
    for user_id in (8203, 8204, 8201):
        await _complete_first_mission(bot, user_id)
    await bot.idle()
    assert await _referral_rewards(bot) == [(8204, "8203")]
