"""No head-of-line blocking: a slow chat holds only its own rows."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.core.delivery import Priority
from bot.sandbox import SandboxServer, World
from tests.e2e.conftest import CHANNEL
from tests.helpers.outbox import OutboxBots, queue

HANG_GUARD = 90  # seconds; longer than a channel's window, so a blocked alert shows as an order


def _sent_before(world: World, chats: Iterable[int], arrived: Iterable[int]) -> int:
    """How many messages to ``chats`` the sandbox recorded before the last first message of
    each chat in ``arrived`` (the moment they had all arrived)."""
    firsts = [next(i for i, m in enumerate(world.messages) if m.chat_id == c) for c in arrived]
    wanted = set(chats)
    return sum(1 for m in world.messages[: max(firsts)] if m.chat_id in wanted)


async def test_private_alert_is_not_stuck_behind_200_channel_posts(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """200 posts queued for one channel (20 per minute) and then an alert and a mission to
    private chats: both arrive before the channel's window lets its 21st post out (a minute
    after the first ones), while the channel waits its turn."""
    bots = OutboxBots(tmp_path, sandbox, schema_template)
    try:
        h = await bots.start()
        url, world = h.services.settings.database_url, sandbox.world
        await queue(url, [CHANNEL] * 200, tag="post", priority=Priority.POST, category="post")
        await h.wait(lambda: len(world.to(CHANNEL)) >= 3, timeout=60)
        await queue(
            url, [9001], sandbox=sandbox, tag="alert", priority=Priority.ALERT, category="alert"
        )
        await queue(url, [9002], sandbox=sandbox, tag="mission", priority=Priority.MISSION)
        await h.wait(lambda: world.to(9001) and world.to(9002), timeout=HANG_GUARD)
    finally:
        await bots.close()
    posts = _sent_before(world, [CHANNEL], [9001, 9002])
    print(f"alert and mission delivered after {posts} channel posts")
    assert posts <= 20  # the channel's window (20 a minute) had not reopened
    assert len(world.to(CHANNEL)) <= 25  # the channel kept to its 20 per minute
    assert sandbox.too_many_requests == 0


async def test_private_alert_is_not_stuck_behind_many_slow_channels(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """30 channels each waiting on their per-chat limit (1 post a minute here) with 8
    workers: the slow chats occupy at most half the workers and are not counted as
    sendable soon, so an alert to a private chat is still claimed and sent before any
    channel's window (a minute) lets its second post out."""
    channels = [-1_002_000_000_000 - n for n in range(30)]
    for chat_id in channels:
        sandbox.world.chat(chat_id, "channel", "C")
    bots = OutboxBots(tmp_path, sandbox, schema_template)
    try:
        h = await bots.start(
            outbox_concurrency=8, rate_group_per_minute=1.0, outbox_stop_grace_seconds=0.5
        )
        url, world = h.services.settings.database_url, sandbox.world
        await queue(url, channels * 3, tag="post", priority=Priority.POST, category="post")
        await h.wait(lambda: len(world.messages) >= 30, timeout=60)  # then each waits
        await queue(
            url, [9003], sandbox=sandbox, tag="alert", priority=Priority.ALERT, category="alert"
        )
        await h.wait(lambda: world.to(9003), timeout=HANG_GUARD)
    finally:
        await bots.close()
    assert _sent_before(world, channels, [9003]) <= len(channels)  # one post each, no second
