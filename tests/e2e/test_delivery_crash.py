"""kill -9 in the middle of a broadcast, then restart: nothing lost, at most a few doubled."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from bot.core.kernel.migrate import upgrade
from bot.sandbox import SandboxServer
from tests.helpers.outbox import all_recorded, queue
from tests.helpers.processes import kill_after, start_bot, stop

pytestmark = pytest.mark.own_database  # the killed bot runs on a SQLite file of its own

AUDIENCE = range(30_000, 30_150)


async def _start_bot(
    tmp_path: Path, sandbox: SandboxServer, url: str
) -> asyncio.subprocess.Process:
    return await start_bot(tmp_path, sandbox.base_url, url, OUTBOX_LEASE_SECONDS="1")


async def test_kill_9_mid_broadcast_loses_nothing(tmp_path: Path, sandbox: SandboxServer) -> None:
    """SIGKILL after ~40 sends; after a restart all 150 arrive, at most a few twice."""
    url = f"sqlite+aiosqlite:///{tmp_path}/crash.sqlite3"
    await asyncio.to_thread(upgrade, url)
    await queue(url, AUDIENCE, sandbox=sandbox, tag="crash")
    world = sandbox.world
    first = await _start_bot(tmp_path, sandbox, url)
    await kill_after(first, world.wait_until(lambda: len(world.messages) >= 40, timeout=60))
    killed_at = len(world.messages)
    assert killed_at < len(AUDIENCE)
    second = await _start_bot(tmp_path, sandbox, url)
    try:
        await world.wait_until(lambda: all(world.to(u) for u in AUDIENCE), timeout=60)
        await all_recorded(url)  # then nothing else may arrive
    finally:
        await stop(second)
    received = Counter(m.chat_id for m in world.messages)
    assert set(received) == set(AUDIENCE)
    doubled = sum(n - 1 for n in received.values())
    # In flight = sent but not yet recorded: about 0.1-0.3 s of sends at 30/s on a busy machine.
    assert doubled <= 15, f"{doubled} messages were sent twice"
    assert sandbox.too_many_requests == 0
