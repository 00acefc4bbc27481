"""Removals from the VIP chat are done only when Telegram confirms them: a refused ban
(the bot without the right, a member made a chat administrator) stays owed and is
retried with backoff, the admins hear of it after a few failures, and a periodic check
finds ended subscribers back in the chat."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.modules.subscriptions.models import VipRemoval
from bot.modules.subscriptions.removals import backoff
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, VIP, Harness
from tests.helpers.chat import answer, told
from tests.helpers.clocks import START, eventually
from tests.helpers.factories import subscription_of

USER, STRANGER = 8181, 8383
EXPIRED = "expired 1, removed 0 from the VIP chat"


async def _member_whose_time_ran_out(factory: Callable[..., Any]) -> tuple[Harness, ManualClock]:
    """USER was granted 5 seconds and is in the VIP chat; the clock is past their end."""
    clock = ManualClock(START)
    h: Harness = await factory(clock=clock, **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    async with asyncio.timeout(10):
        await h.services.runner.caught_up()
    h.sandbox.world.user(ADMIN, "Admin")
    await h.reply(USER, "/start")
    await answer(h, ADMIN, f"/grant {USER} 5s", "Granted")
    h.sandbox.world.join_chat(USER, VIP)
    await h.idle()
    clock.advance(6)
    return h, clock


async def _owed(h: Harness, user_id: int = USER) -> VipRemoval | None:
    async with h.services.db.session() as session:
        query = select(VipRemoval).where(VipRemoval.user_id == user_id)
        return await session.scalar(query)


def _bans(h: Harness) -> int:
    return sum(method == "banChatMember" for method, _params in h.sandbox.world.calls)


async def test_a_refused_removal_is_retried_until_telegram_confirms(
    harness_factory: Callable[..., Any],
) -> None:
    """The bot lost the right to ban: the expired member is not recorded as removed, is not
    retried before the backoff, and is removed by the first run after the right is back."""
    h, clock = await _member_whose_time_ran_out(harness_factory)
    world, chat = h.sandbox.world, h.sandbox.world.chats[VIP]
    chat.bot_admin = False
    assert await h.run_job("subscriptions.expire") == EXPIRED
    assert USER in world.members[VIP] and world.moderation == []
    sub = await subscription_of(h.services.db, USER)
    assert sub is not None and sub.status == "expired" and sub.removed_at is None
    owed = await _owed(h)
    assert owed is not None and owed.attempts == 1 and owed.reason == "ended"
    assert owed.last_error is not None and "Not enough rights" in owed.last_error
    assert owed.due_at == clock.now() + backoff(1)

    bans = _bans(h)
    assert await h.run_job("subscriptions.expire") == "expired 0, removed 0 from the VIP chat"
    assert _bans(h) == bans  # not due yet: Telegram is not asked again

    chat.bot_admin = True
    clock.advance(backoff(1))
    assert await h.run_job("subscriptions.expire") == "expired 0, removed 1 from the VIP chat"
    assert USER not in world.members[VIP] and USER not in chat.banned
    assert world.moderation == [("ban", VIP, USER), ("unban", VIP, USER)]
    sub = await subscription_of(h.services.db, USER)
    assert sub is not None and sub.removed_at == clock.now() and await _owed(h) is None


async def test_admins_hear_once_of_a_removal_that_keeps_failing(
    harness_factory: Callable[..., Any],
) -> None:
    """A member made a chat administrator cannot be banned: each retry (1, then 2 minutes
    later) fails, the admins are alerted once at the third failure, and once they demote
    the member the next retry removes them."""
    h, clock = await _member_whose_time_ran_out(harness_factory)
    chat = h.sandbox.world.chats[VIP]
    chat.admins.add(USER)
    assert await h.run_job("subscriptions.expire") == EXPIRED
    for attempts in (1, 2, 3):
        owed = await _owed(h)
        assert owed is not None and owed.attempts == attempts
        assert "administrator" in (owed.last_error or "")
        clock.advance(backoff(attempts))
        await h.run_job("subscriptions.expire")
    alert = await told(h, ADMIN, str(USER), "subscription ended", "failed 3 times")
    assert "administrator" in alert
    async with h.services.db.session() as session:
        query = select(func.count()).where(OutboxMessage.key.startswith("alert:vip-removal:"))
        assert await session.scalar(query) == 1  # the fourth failure alerted nobody again
    assert USER in h.sandbox.world.members[VIP]

    chat.admins.discard(USER)
    clock.advance(backoff(4))
    assert await h.run_job("subscriptions.expire") == "expired 0, removed 1 from the VIP chat"
    assert USER not in h.sandbox.world.members[VIP] and await _owed(h) is None


async def test_an_intruder_whose_removal_is_refused_is_removed_later(
    harness_factory: Callable[..., Any],
) -> None:
    """Someone appearing in the VIP chat while the bot cannot ban stays owed a removal,
    which a later run makes once the bot has the right again."""
    h, clock = await _member_whose_time_ran_out(harness_factory)
    world, chat = h.sandbox.world, h.sandbox.world.chats[VIP]
    assert await h.run_job("subscriptions.expire") == "expired 1, removed 1 from the VIP chat"
    chat.bot_admin = False
    world.join_chat(STRANGER, VIP)

    async def owed() -> bool:
        row = await _owed(h, STRANGER)
        return row is not None and row.attempts == 1

    await eventually(owed)
    assert STRANGER in world.members[VIP]
    row = await _owed(h, STRANGER)
    assert row is not None and row.reason == "intruder"

    chat.bot_admin = True
    clock.advance(backoff(1))
    assert await h.run_job("subscriptions.expire") == "expired 0, removed 1 from the VIP chat"
    assert STRANGER not in world.members[VIP] and await _owed(h, STRANGER) is None


async def test_the_membership_check_removes_an_ended_subscriber_found_inside(
    harness_factory: Callable[..., Any],
) -> None:
    """An ended subscriber back in the VIP chat with no update the bot saw (it was down,
    a chat admin added them) is found by subscriptions.check_members and removed; a run
    after that finds nobody."""
    h, clock = await _member_whose_time_ran_out(harness_factory)
    world = h.sandbox.world
    assert await h.run_job("subscriptions.expire") == "expired 1, removed 1 from the VIP chat"
    assert USER not in world.members[VIP]
    world.members[VIP].add(USER)  # back in, unseen by the bot
    summary = await h.run_job("subscriptions.check_members")
    assert summary == "checked 1, 1 still in the VIP chat, removed 1"
    assert USER not in world.members[VIP]
    assert world.moderation[-2:] == [("ban", VIP, USER), ("unban", VIP, USER)]
    clock.advance(60)
    summary = await h.run_job("subscriptions.check_members")
    assert summary == "checked 1, 0 still in the VIP chat, removed 0"


async def test_an_admin_whose_subscription_ended_stays_and_is_not_owed_again(
    harness_factory: Callable[..., Any],
) -> None:
    """The bot's admin with an ended subscription is never banned, and their record is
    closed, not owed a removal again at every run."""
    h, clock = await _member_whose_time_ran_out(harness_factory)
    await h.reply(ADMIN, "/start")
    await answer(h, ADMIN, f"/grant {ADMIN} 5s", "Granted")
    h.sandbox.world.join_chat(ADMIN, VIP)
    await h.idle()
    clock.advance(6)
    await h.run_job("subscriptions.expire")
    sub = await subscription_of(h.services.db, ADMIN)
    assert sub is not None and sub.status == "expired" and sub.removed_at is not None
    assert await _owed(h, ADMIN) is None
    assert all(user != ADMIN for _action, _chat, user in h.sandbox.world.moderation)
    assert ADMIN in h.sandbox.world.members[VIP]
