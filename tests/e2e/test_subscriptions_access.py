"""VIP access that cannot be passed on: join requests decided per subscriber, links
revoked with the subscription, and anyone else who turns up in the VIP chat removed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.core.kernel.clock import ManualClock
from bot.modules.subscriptions.models import InviteLink
from bot.sandbox.flood import FloodLimits
from bot.sandbox.server import ApiError
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, VIP, Harness
from tests.helpers.chat import answer
from tests.helpers.clocks import START

USER, FRIEND, STRANGER = 7171, 7272, 7373


async def _vip(factory: Callable[..., Any]) -> tuple[Harness, str]:
    """A bot where USER was granted 30 days; the link they were sent."""
    h: Harness = await factory(clock=ManualClock(START), **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    for user_id in (USER, FRIEND):
        await h.reply(user_id, "/start")
    await answer(h, ADMIN, f"/grant {USER} 30d", "Granted")
    [link] = h.sandbox.world.invite_links
    assert link["creates_join_request"] is True and "member_limit" not in link
    return h, str(link["invite_link"])


async def _decided(h: Harness, user_id: int) -> str:
    """Wait for the bot's answer to ``user_id``'s join request: approve or decline."""

    def decision() -> str | None:
        made = [d for d in h.sandbox.world.join_decisions if d[1:] == (VIP, user_id)]
        return made[-1][0] if made else None

    result: str = await h.wait(decision)
    return result


async def test_the_subscriber_is_approved(harness_factory: Callable[..., Any]) -> None:
    """The bot asks Telegram for join requests and member changes; the subscriber opening
    their own link is approved and stays in the chat."""
    h, link = await _vip(harness_factory)
    world = h.sandbox.world
    [asked, *_] = [p["allowed_updates"] for m, p in world.calls if m == "getUpdates"]
    assert {"chat_join_request", "chat_member"} <= set(asked)
    world.request_join(USER, VIP, link)
    assert await _decided(h, USER) == "approve"
    world.join_chat(STRANGER, VIP)  # handled after the approval's own chat_member update
    await h.wait(lambda: ("unban", VIP, STRANGER) in world.moderation)
    assert USER in world.members[VIP]
    assert {user for _action, _chat, user in world.moderation} == {STRANGER}


async def test_a_friend_with_the_subscribers_link_is_declined(
    harness_factory: Callable[..., Any],
) -> None:
    """A friend (even one with the bot started) using the subscriber's link is declined."""
    h, link = await _vip(harness_factory)
    h.sandbox.world.request_join(FRIEND, VIP, link)
    assert await _decided(h, FRIEND) == "decline"
    h.sandbox.world.request_join(STRANGER, VIP, "https://t.me/+notmadebythebot")
    assert await _decided(h, STRANGER) == "decline"
    assert FRIEND not in h.sandbox.world.members.get(VIP, set())


async def test_a_revoked_subscriber_is_declined_and_their_link_revoked(
    harness_factory: Callable[..., Any],
) -> None:
    """/revoke revokes the outstanding link at Telegram, and a join request still made
    with it is declined."""
    h, link = await _vip(harness_factory)
    await answer(h, ADMIN, f"/revoke {USER}", "Revoked")
    [sent] = h.sandbox.world.invite_links
    assert sent["is_revoked"] is True
    async with h.services.db.session() as session:
        revoked_at = await session.scalar(
            select(InviteLink.revoked_at).where(InviteLink.link == link)
        )
    assert revoked_at is not None
    h.sandbox.world.request_join(USER, VIP, link)
    assert await _decided(h, USER) == "decline"
    assert USER not in h.sandbox.world.members.get(VIP, set())


async def test_a_link_not_revoked_at_once_is_revoked_by_the_expire_run(
    harness_factory: Callable[..., Any],
) -> None:
    """When Telegram fails the revocation during /revoke, the next subscriptions.expire
    run revokes the link; the run after that has nothing left to revoke."""
    h, _link = await _vip(harness_factory)

    def unavailable(_params: dict[str, Any]) -> None:
        raise ApiError(502, "Bad Gateway")

    h.sandbox.before["revokeChatInviteLink"] = unavailable
    await answer(h, ADMIN, f"/revoke {USER}", "Revoked")
    assert h.sandbox.world.invite_links[0]["is_revoked"] is False
    del h.sandbox.before["revokeChatInviteLink"]
    summary = "expired 0, removed 0 from the VIP chat"
    assert await h.run_job("subscriptions.expire") == f"{summary}, revoked 1 invite links"
    assert h.sandbox.world.invite_links[0]["is_revoked"] is True
    h.services.clock.advance(1)  # type: ignore[attr-defined]
    assert await h.run_job("subscriptions.expire") == summary


async def test_someone_appearing_without_a_subscription_is_removed(
    harness_factory: Callable[..., Any],
) -> None:
    """A chat_member update showing a non-subscriber in the VIP chat removes them (ban,
    then unban); the subscriber and the bot's admins who appear the same way stay."""
    h, _link = await _vip(harness_factory)
    world = h.sandbox.world
    world.join_chat(STRANGER, VIP)
    await h.wait(lambda: ("unban", VIP, STRANGER) in world.moderation)
    assert world.moderation == [("ban", VIP, STRANGER), ("unban", VIP, STRANGER)]
    assert STRANGER not in world.members[VIP]
    world.join_chat(USER, VIP)
    world.join_chat(ADMIN, VIP)
    world.join_chat(FRIEND, VIP)
    await h.wait(lambda: ("unban", VIP, FRIEND) in world.moderation)
    assert {user for _action, _chat, user in world.moderation} == {STRANGER, FRIEND}
    assert {USER, ADMIN} <= world.members[VIP]
