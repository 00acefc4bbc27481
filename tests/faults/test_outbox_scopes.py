"""No head-of-line blocking: a slow chat holds only its own rows."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.delivery import Priority
from bot.sandbox import SandboxServer
from tests.e2e.conftest import CHANNEL
from tests.helpers.outbox import OutboxBots, queue


async def test_private_alert_is_not_stuck_behind_200_channel_posts(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """200 posts queued for one channel (20 per minute) and then an alert and a mission to
    private chats: both arrive within a few seconds while the channel waits its turn."""
    bots = OutboxBots(tmp_path, sandbox, schema_template)
    try:
        h = await bots.start()
        url, world = h.services.settings.database_url, sandbox.world
        await queue(url, [CHANNEL] * 200, tag="post", priority=Priority.POST, category="post")
        await h.wait(lambda: len(world.to(CHANNEL)) >= 3, timeout=20)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await queue(
            url, [9001], sandbox=sandbox, tag="alert", priority=Priority.ALERT, category="alert"
        )
        await queue(url, [9002], sandbox=sandbox, tag="mission", priority=Priority.MISSION)
        await h.wait(lambda: world.to(9001) and world.to(9002), timeout=20)
        waited = loop.time() - started
    finally:
        await bots.close()
    print(f"alert and mission delivered {waited:.2f} s after queuing, behind channel posts")
    assert waited < 3.0
    assert len(world.to(CHANNEL)) <= 25  # the channel kept to its 20 per minute
    assert sandbox.too_many_requests == 0


async def test_private_alert_is_not_stuck_behind_many_slow_channels(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """30 channels each waiting on their per-chat limit (1 post a minute here) with 8
    workers: the slow chats occupy at most half the workers and are not counted as
    sendable soon, so an alert to a private chat is still claimed and sent at once."""
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
        await h.wait(lambda: len(world.messages) >= 30, timeout=20)  # then each waits
        loop = asyncio.get_running_loop()
        started = loop.time()
        await queue(
            url, [9003], sandbox=sandbox, tag="alert", priority=Priority.ALERT, category="alert"
        )
        await h.wait(lambda: world.to(9003), timeout=20)
        waited = loop.time() - started
    finally:
        await bots.close()
    assert waited < 3.0
