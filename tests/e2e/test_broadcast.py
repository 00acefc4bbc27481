"""/broadcast through the real bot: usage, queuing to reachable users, progress edited in place."""

from __future__ import annotations

from collections import Counter

from bot.modules.broadcast.service import announcement
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.factories import register_users


async def test_broadcast_without_text_gets_usage(harness: Harness) -> None:
    """/broadcast alone answers with its usage and queues nothing."""
    assert "Usage: /broadcast <text>" in await harness.reply(ADMIN, "/broadcast")
    assert len(harness.sandbox.world.messages) == 1


async def test_broadcast_is_admin_only(harness: Harness) -> None:
    """A non-admin is refused."""
    assert "admins only" in await harness.reply(321, "/broadcast hello")


async def test_broadcast_reaches_every_reachable_user_with_progress(harness: Harness) -> None:
    """Reachable users get the text once; newly blocked ones fail; progress ends at 100%."""
    audience = range(20_000, 20_040)
    world = harness.sandbox.world
    await register_users(harness.services, audience, world=world, unreachable={20_000, 20_001})
    world.user(20_002).blocked = True
    status = await harness.broadcast(ADMIN, "Big news\nsecond line")
    assert "of 38" in (status.text or "")
    await harness.wait(lambda: "Broadcast finished" in (status.text or ""), timeout=30)
    assert "sent 37 · failed 1 · remaining 0 of 38" in (status.text or "")
    assert "100%" in (status.text or "")
    body = announcement("Big news\nsecond line")
    received = Counter(m.chat_id for m in world.messages if m.text == body and m.chat_id != ADMIN)
    assert received == Counter(range(20_003, 20_040))
    assert harness.sandbox.too_many_requests == 0
