"""The outbox sender and the rate limiter against the sandbox's flood limits, over HTTP."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from bot.core.delivery import OutboxMessage, OutboxStatus
from bot.core.kernel.events import (
    ChatMigrated,
    MessageDelivered,
    MessageFailed,
    UserBecameUnreachable,
)
from bot.core.people import users
from tests.e2e.conftest import Harness
from tests.helpers.factories import add_message, register_users


async def _queue(h: Harness, chat_ids: list[int], text: str = "news", tag: str = "") -> None:
    """Queue ``text`` to every chat, keyed ``<tag or text>:<chat>``."""
    async with h.services.db.session() as session:
        for chat_id in chat_ids:
            if chat_id > 0:
                h.sandbox.world.user(chat_id)
            key = f"{tag or text}:{chat_id}"
            await add_message(session, h.services.outbox, key, chat_id, text=text)


async def _rows(h: Harness) -> dict[str, OutboxMessage]:
    async with h.services.db.session() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    return {row.key: row for row in rows}


def _recorder(h: Harness, *types: type) -> list[object]:
    seen: list[object] = []

    async def keep(event: object) -> None:
        seen.append(event)

    for event_type in types:
        h.services.bus.subscribe(event_type, keep)
    return seen


async def test_queued_messages_arrive_once_without_429(harness: Harness) -> None:
    """A broadcast to 90 users reaches each exactly once, with zero 429s, and is recorded."""
    delivered = _recorder(harness, MessageDelivered)
    audience = list(range(3000, 3090))
    await _queue(harness, audience)
    world = harness.sandbox.world
    await harness.wait(lambda: all(world.to(u) for u in audience), timeout=30)
    await harness.wait(lambda: len(delivered) == 90, timeout=5)
    assert Counter(m.chat_id for m in world.messages) == Counter(audience)
    assert harness.sandbox.too_many_requests == 0
    rows = await _rows(harness)
    assert {row.status for row in rows.values()} == {OutboxStatus.SENT}
    assert all(row.message_id and row.sent_at and row.attempts == 1 for row in rows.values())


async def test_burst_of_replies_to_one_chat_gets_no_429(harness: Harness) -> None:
    """Twelve immediate sends to one private chat are paced (3 per 3 s), none refused."""
    harness.sandbox.world.user(42)
    bot = harness.app.bot
    await asyncio.gather(*(bot.send_message(42, f"reply {i}") for i in range(12)))
    assert len(harness.sandbox.world.to(42)) == 12
    assert harness.sandbox.too_many_requests == 0


async def test_replies_overtake_a_running_broadcast(harness: Harness) -> None:
    """A user's /help, sent while 240 bulk messages are queued, is answered while at most a
    second's worth of the broadcast (30 sends at the global 30/s) goes out: it overtakes
    the queue instead of waiting behind it (counted in sends, not seconds)."""
    audience = list(range(4000, 4240))
    await _queue(harness, audience)
    world = harness.sandbox.world

    def broadcast() -> int:
        wanted = set(audience)
        return sum(1 for m in world.messages if m.chat_id in wanted)

    await harness.wait(lambda: len(world.messages) >= 30, timeout=60)
    asked = broadcast()
    await harness.reply(77, "/help", timeout=60)  # a hang guard
    assert broadcast() - asked <= 30, (asked, broadcast())
    assert broadcast() < 200
    assert harness.sandbox.too_many_requests == 0


async def test_blocked_user_is_marked_unreachable_and_never_retried(harness: Harness) -> None:
    """403 -> failed, user unreachable (event), their later rows skipped, one attempt only."""
    events = _recorder(harness, UserBecameUnreachable, MessageFailed)
    await register_users(harness.services, [5001, 5002])
    harness.sandbox.world.user(5001).blocked = True
    await _queue(harness, [5001, 5002], text="first")
    await harness.wait(lambda: harness.sandbox.world.to(5002), timeout=10)
    await harness.wait(lambda: len(events) >= 2, timeout=5)
    await _queue(harness, [5001, 5002], text="second")
    await harness.wait(lambda: len(harness.sandbox.world.to(5002)) == 2, timeout=10)
    await harness.idle()
    rows = await _rows(harness)
    assert rows["first:5001"].status == OutboxStatus.FAILED
    assert rows["first:5001"].attempts == 1
    assert rows["second:5001"].status == OutboxStatus.SKIPPED
    assert harness.sandbox.stats["403"] == 1
    assert UserBecameUnreachable(5001, "Forbidden: bot was blocked by the user") in events
    async with harness.services.db.session() as session:
        assert (await session.get(users.User, 5001)).reachable is False  # type: ignore[union-attr]


async def test_migrated_group_gets_the_message_at_its_new_id(harness: Harness) -> None:
    """A 400 with migrate_to_chat_id resends to the new id, stores it and publishes it."""
    events = _recorder(harness, ChatMigrated)
    world = harness.sandbox.world
    world.chat(-600, "group", "Old").migrated_to = -1_000_000_000_600
    world.chat(-1_000_000_000_600, "supergroup", "New")
    await _queue(harness, [-600], text="post")
    await harness.wait(lambda: world.to(-1_000_000_000_600), timeout=10)
    await harness.idle()
    row = (await _rows(harness))["post:-600"]
    assert row.status == OutboxStatus.SENT and row.chat_id == -1_000_000_000_600
    assert events == [ChatMigrated(-600, -1_000_000_000_600)]


async def test_bad_request_is_recorded_not_retried(harness: Harness) -> None:
    """A 400 (unknown chat) fails the row at once with the error, and MessageFailed."""
    events = _recorder(harness, MessageFailed)
    await _queue(harness, [-777], text="lost")
    await harness.wait(lambda: events, timeout=10)
    row = (await _rows(harness))["lost:-777"]
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert row.last_error == "Chat not found"


async def test_injected_5xx_lose_nothing(harness_factory: object) -> None:
    """With 20% of sends answered 502, every message still arrives exactly once."""
    h: Harness = await harness_factory(outbox_retry_seconds=0.05)  # type: ignore[operator]
    h.sandbox.fault_rate = 0.2
    audience = list(range(6000, 6060))
    await _queue(h, audience)
    world = h.sandbox.world
    await h.wait(lambda: all(world.to(u) for u in audience), timeout=40)
    assert Counter(m.chat_id for m in world.messages) == Counter(audience)
    assert h.sandbox.stats["502"] > 0 and h.sandbox.too_many_requests == 0


async def test_long_text_arrives_split(harness: Harness) -> None:
    """A 9,000-character text arrives as three consecutive messages, in order."""
    text = "\n".join(f"line {i:04d} " + "x" * 80 for i in range(100))
    await _queue(harness, [8100], text=text, tag="long")
    world = harness.sandbox.world
    await harness.wait(lambda: len(world.to(8100)) == 3, timeout=15)
    assert "\n".join(m.text or "" for m in world.to(8100)) == text
