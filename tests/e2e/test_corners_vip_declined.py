"""A declined request to join the VIP chat is answered: the requester is told why (no
subscription, one that ended, a link that is not theirs) and how to get access, in their
language, through the outbox, at most once a day however often they ask."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, VIP, Harness
from tests.helpers.chat import answer
from tests.helpers.clocks import START

pytestmark = pytest.mark.lifted_limits

USER, FRIEND, UKRAINIAN = 7471, 7472, 7473


async def _vip(factory: Callable[..., Any], **settings: Any) -> tuple[Harness, str]:
    """A bot where USER was granted 30 days; the link they were sent."""
    h: Harness = await factory(clock=ManualClock(START), **UNPACED, **settings)
    h.sandbox.set_limits(FloodLimits(private=None))
    h.sandbox.world.user(UKRAINIAN).language_code = "uk"
    for user_id in (USER, FRIEND, UKRAINIAN):
        await h.reply(user_id, "/start")
    await answer(h, ADMIN, f"/grant {USER} 30d", "Granted")
    [link] = h.sandbox.world.invite_links
    return h, str(link["invite_link"])


async def _declined(h: Harness, user_id: int, link: str) -> SentMessage:
    """``user_id`` asks to join with ``link``; the bot declines and says why."""
    world = h.sandbox.world
    await h.idle()  # what was queued before (a grant's link, a revocation) has arrived
    before = len(world.to(user_id))
    world.request_join(user_id, VIP, link)
    await h.wait(lambda: ("decline", VIP, user_id) in world.join_decisions)
    new: list[SentMessage] = await h.wait(lambda: world.to(user_id)[before:])
    return new[0]


async def _notices(h: Harness, user_id: int) -> int:
    async with h.services.db.session() as session:
        query = select(func.count()).where(
            OutboxMessage.key.startswith("vip-declined:"), OutboxMessage.chat_id == user_id
        )
        return int(await session.scalar(query) or 0)


async def test_a_request_without_a_subscription_is_told_to_subscribe_once_a_day(
    harness_factory: Callable[..., Any],
) -> None:
    """A friend using the subscriber's link is declined and told they have no VIP
    subscription and to send /subscribe; asking again the same day declines again without
    a second message; the next day's request is answered again."""
    h, link = await _vip(harness_factory, vip_stars_price=50)
    told = await _declined(h, FRIEND, link)
    assert "no VIP subscription" in (told.text or "") and "/subscribe" in (told.text or "")
    world = h.sandbox.world
    world.request_join(FRIEND, VIP, link)
    await h.wait(lambda: [d for d in world.join_decisions if d == ("decline", VIP, FRIEND)][1:])
    await h.idle()
    assert await _notices(h, FRIEND) == 1
    clock = h.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(days=1))
    again = await _declined(h, FRIEND, link)
    assert "no VIP subscription" in (again.text or "")
    assert await _notices(h, FRIEND) == 2


async def test_an_ended_subscription_is_named_and_a_bot_without_stars_points_to_the_admins(
    harness_factory: Callable[..., Any],
) -> None:
    """A subscriber whose subscription was revoked is told it ended and, with no Stars
    price configured (/subscribe is not offered), to ask the admins."""
    h, link = await _vip(harness_factory)
    await answer(h, ADMIN, f"/revoke {USER}", "Revoked")
    told = (await _declined(h, USER, link)).text or ""
    assert "ended" in told and "admin" in told and "/subscribe" not in told


async def test_a_subscriber_with_someone_elses_link_and_a_ukrainian_reader(
    harness_factory: Callable[..., Any],
) -> None:
    """A running subscriber using a link that is not theirs is told the link is not
    theirs; a Ukrainian reader gets the notice in Ukrainian."""
    h, link = await _vip(harness_factory, vip_stars_price=50)
    await answer(h, ADMIN, f"/grant {FRIEND} 30d", "Granted")
    told = (await _declined(h, FRIEND, link)).text or ""
    assert "not yours" in told
    ukrainian = (await _declined(h, UKRAINIAN, link)).text or ""
    assert "/subscribe" in ukrainian and "VIP" in ukrainian and "subscription" not in ukrainian
