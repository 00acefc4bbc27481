"""VIP subscriptions through the real bot and the sandbox: grant, revoke, expiry, reminders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, VIP, Harness
from tests.helpers.chat import answer
from tests.helpers.clocks import START
from tests.helpers.factories import subscription_of

USER = 4242


async def outbox(h: Harness, prefix: str) -> list[OutboxMessage]:
    async with h.services.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.startswith(prefix))
        )
        return list(rows)


async def started(factory: Callable[..., Any], clock: ManualClock) -> Harness:
    """A bot with one registered user; the per-chat flood limit is lifted because these
    tests send an admin many commands in a row (flood behaviour is tested elsewhere)."""
    h: Harness = await factory(clock=clock, **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    await h.reply(USER, "/start")
    return h


async def test_grant_sends_one_person_invite_link(harness_factory: Callable[..., Any]) -> None:
    """/grant <id> 5s creates a join-request link to the VIP chat and queues it to the user."""
    h = await started(harness_factory, ManualClock(START))
    await answer(h, ADMIN, f"/grant {USER} 5s", "Granted")
    links = h.sandbox.world.invite_links
    assert len(links) == 1 and links[0]["chat_id"] == VIP and links[0]["creates_join_request"]
    assert "member_limit" not in links[0]
    assert links[0]["expire_date"] == int((START + timedelta(seconds=5)).timestamp())
    [message] = await outbox(h, f"subgrant:{USER}:")
    assert message.chat_id == USER and message.category == "access"
    assert links[0]["invite_link"] in message.payload["text"]
    link, world = links[0]["invite_link"], h.sandbox.world
    await h.wait(lambda: any(link in (m.text or "") for m in world.to(USER)))  # delivered
    await answer(h, USER, "/status", "active until")


async def test_expiry_removes_and_tells_once(harness_factory: Callable[..., Any]) -> None:
    """Expire ends it, bans+unbans the user, queues one message; a rerun does nothing."""
    clock = ManualClock(START)
    h = await started(harness_factory, clock)
    await answer(h, ADMIN, f"/grant {USER} 5s", "subscribed until")
    assert await h.run_job("subscriptions.expire") == "expired 0, removed 0 from the VIP chat"
    clock.advance(6)
    assert await h.run_job("subscriptions.expire") == "expired 1, removed 1 from the VIP chat"
    assert h.sandbox.world.moderation == [("ban", VIP, USER), ("unban", VIP, USER)]
    # The unban itself: the poller and the outbox make calls of their own meanwhile.
    [unban] = [params for method, params in h.sandbox.world.calls if method == "unbanChatMember"]
    assert unban["only_if_banned"] is True
    assert len(await outbox(h, f"subend:{USER}:")) == 1
    assert await h.run_job("subscriptions.expire") == "expired 0, removed 0 from the VIP chat"
    assert len(h.sandbox.world.moderation) == 2
    sub = await subscription_of(h.services.db, USER)
    assert sub is not None and sub.status == "expired"
    await answer(h, USER, "/status", "ended on")


async def test_grant_extends_an_active_subscription(harness_factory: Callable[..., Any]) -> None:
    """A second grant adds to the current end instead of replacing it; after expiry it restarts."""
    clock = ManualClock(START)
    h = await started(harness_factory, clock)
    await answer(h, ADMIN, f"/grant {USER} 30d", "subscribed until")
    clock.advance(timedelta(days=1))
    await answer(h, ADMIN, f"/grant {USER} 2w", "Extended")
    sub = await subscription_of(h.services.db, USER)
    assert sub is not None and sub.ends_at == START + timedelta(days=44)
    clock.advance(timedelta(days=50))
    await h.run_job("subscriptions.expire")
    await answer(h, ADMIN, f"/grant {USER} 1d", "Granted")
    sub = await subscription_of(h.services.db, USER)
    assert (
        sub is not None
        and sub.status == "active"
        and sub.ends_at == clock.now() + timedelta(days=1)
    )
    assert len(h.sandbox.world.invite_links) == 3


async def test_bad_grants_change_nothing(harness_factory: Callable[..., Any]) -> None:
    """Unknown users, zero/negative/absurd/malformed durations and non-admins are refused."""
    h = await started(harness_factory, ManualClock(START))
    await answer(h, ADMIN, "/grant 999777 30d", "unknown user id")
    await answer(h, ADMIN, f"/grant {USER} 0s", "positive")
    await answer(h, ADMIN, f"/grant {USER} -3d", "positive")
    await answer(h, ADMIN, f"/grant {USER} 5000d", "10 years")
    await answer(h, ADMIN, f"/grant {USER} forever", "not a duration")
    await answer(h, ADMIN, "/grant abc 30d", "Usage")
    await answer(h, ADMIN, "/grant", "Usage")
    await answer(h, USER, f"/grant {USER} 30d", "admins only")
    db = h.services.db
    assert await subscription_of(db, USER) is None and await subscription_of(db, 999777) is None
    assert h.sandbox.world.invite_links == []
    assert await outbox(h, "subgrant:") == []


async def test_revoke_removes_at_once(harness_factory: Callable[..., Any]) -> None:
    """/revoke ends it now, removes and tells the user; a second /revoke changes nothing."""
    h = await started(harness_factory, ManualClock(START))
    await answer(h, ADMIN, f"/grant {USER} 30d", "subscribed until")
    await answer(h, ADMIN, f"/revoke {USER}", "Revoked")
    assert h.sandbox.world.moderation == [("ban", VIP, USER), ("unban", VIP, USER)]
    [message] = await outbox(h, f"subend:{USER}:")
    assert "ended by an admin" in message.payload["text"]
    await answer(h, ADMIN, f"/revoke {USER}", "no active subscription")
    assert await h.run_job("subscriptions.expire") == "expired 0, removed 0 from the VIP chat"


async def test_reminders_once_per_threshold(harness_factory: Callable[..., Any]) -> None:
    """Ending in 2 days -> one 3-day reminder; a day later one 1-day reminder; reruns add none."""
    clock = ManualClock(START)
    h = await started(harness_factory, clock)
    await answer(h, ADMIN, f"/grant {USER} 2d", "subscribed until")
    assert await h.run_job("subscriptions.remind") == "reminded 1 (3 days) and 0 (1 day)"
    assert await h.run_job("subscriptions.remind") == "reminded 0 (3 days) and 0 (1 day)"
    clock.advance(timedelta(days=1, hours=2))
    assert await h.run_job("subscriptions.remind") == "reminded 0 (3 days) and 1 (1 day)"
    assert await h.run_job("subscriptions.remind") == "reminded 0 (3 days) and 0 (1 day)"
    keys = sorted(m.key for m in await outbox(h, f"subremind:{USER}:"))
    assert [k.rsplit(":", 1)[1] for k in keys] == ["1d", "3d"]
    assert all(m.category == "reminder" for m in await outbox(h, "subremind:"))


async def test_active_subscriptions_stat(harness_factory: Callable[..., Any]) -> None:
    """The stats provider counts subscriptions that are active now."""
    clock = ManualClock(START)
    h = await started(harness_factory, clock)
    await answer(h, ADMIN, f"/grant {USER} 1h", "subscribed until")
    async with h.services.db.session() as session:
        assert (await h.services.stats.collect(session, START.date()))["active_subscriptions"] == 1
    clock.advance(timedelta(hours=2))
    async with h.services.db.session() as session:
        assert (await h.services.stats.collect(session, START.date()))["active_subscriptions"] == 0


async def test_runjob_expire_through_the_runner(harness_factory: Callable[..., Any]) -> None:
    """/grant 5s, later /runjob subscriptions.expire removes the user; a rerun does nothing."""
    clock = ManualClock(START)
    h = await started(harness_factory, clock)
    await answer(h, ADMIN, f"/grant {USER} 5s", "subscribed until")
    clock.advance(10)
    await answer(h, ADMIN, "/runjob subscriptions.expire", "expired 1, removed 1 from the VIP chat")
    assert h.sandbox.world.moderation == [("ban", VIP, USER), ("unban", VIP, USER)]
    clock.advance(1)  # a manual run's slot is "now": the same instant would be one slot
    await answer(h, ADMIN, "/runjob subscriptions.expire", "expired 0, removed 0 from the VIP chat")
    assert len(h.sandbox.world.moderation) == 2


async def test_the_subscriber_reads_times_in_their_own_zone(
    harness_factory: Callable[..., Any],
) -> None:
    """A subscriber in New York reads the end of their subscription in their zone (the grant's
    message, /status, the reminder); the admin's reply to /grant keeps the bot's TIMEZONE."""
    # Times are written the CLDR way: a narrow no-break space before AM.
    clock = ManualClock(START)
    h = await started(harness_factory, clock)
    assert "America/New_York" in await h.reply(USER, "/timezone America/New_York")
    admin_reply = await h.reply(ADMIN, f"/grant {USER} 2d")
    assert "Nov 23, 2026, 9:00\u202fAM UTC" in admin_reply, admin_reply  # TIMEZONE=UTC
    [granted] = await outbox(h, f"subgrant:{USER}:")
    assert "until Nov 23, 2026, 4:00\u202fAM EST" in granted.payload["text"], granted.payload
    await answer(h, USER, "/status", "active until Nov 23, 2026, 4:00\u202fAM EST")
    assert await h.run_job("subscriptions.remind") == "reminded 1 (3 days) and 0 (1 day)"
    [reminder] = await outbox(h, f"subremind:{USER}:")
    assert "on Nov 23, 2026, 4:00\u202fAM EST" in reminder.payload["text"], reminder.payload
