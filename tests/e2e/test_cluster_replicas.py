"""Several bot processes on one database: one poller at a time, every user answered once,
and a standby that takes over polling when the leader is killed."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.core.cluster.lease import Holder, Lease
from bot.core.kernel.db import Database
from bot.sandbox import SandboxServer
from tests.conftest import database_url, upgrade_fresh
from tests.helpers.processes import quiet, start_bot, stop

FIRST = range(50_000, 50_060)
LATER = range(51_000, 51_010)


async def _start_bot(
    tmp_path: Path, sandbox: SandboxServer, url: str
) -> asyncio.subprocess.Process:
    return await start_bot(tmp_path, sandbox.base_url, url, BOT_TOKEN="123:replicas")


async def _leader_pid(url: str) -> int | None:
    db = Database(url)
    try:
        async with db.session() as session:
            holder = await session.scalar(select(Lease.holder).where(Lease.name == "updates"))
    finally:
        await db.dispose()
    parsed = Holder.parse(holder) if holder else None
    return parsed.pid if parsed else None


def _welcomes(sandbox: SandboxServer, users: range) -> Counter[int]:
    wanted = set(users)
    return Counter(
        m.chat_id
        for m in sandbox.world.messages
        if m.chat_id in wanted and (m.text or "").startswith("Welcome")
    )


async def test_two_processes_answer_each_user_once_and_survive_the_leader(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """Two `run` processes: 60 users each welcomed exactly once (checked once the processes
    are quiet), no 409 from Telegram; after kill -9 of the polling leader the other process
    takes the polling over and answers everyone who wrote meanwhile, once."""
    url = database_url(tmp_path)
    await upgrade_fresh(url)
    world = sandbox.world
    bots = [await _start_bot(tmp_path, sandbox, url) for _ in range(2)]
    try:
        await world.wait_until(lambda: sandbox.stats["getUpdates"] >= 1, timeout=60)
        for user_id in FIRST:
            world.send_text(user_id, "/start")
        await world.wait_until(lambda: len(_welcomes(sandbox, FIRST)) == len(FIRST), 60)
        await quiet(sandbox, url)  # a duplicate would have arrived by then
        assert set(_welcomes(sandbox, FIRST).values()) == {1}
        assert sandbox.stats["409"] == 0

        leader = await _leader_pid(url)
        [victim] = [p for p in bots if p.pid == leader]
        victim.send_signal(signal.SIGKILL)
        await victim.wait()
        killed = time.monotonic()
        for user_id in LATER:
            world.send_text(user_id, "/start")
        await world.wait_until(lambda: len(_welcomes(sandbox, LATER)) == len(LATER), 60)
        took = time.monotonic() - killed
        print(f"polling resumed {took:.1f}s after the leader died")
        [survivor] = [p for p in bots if p is not victim]
        assert await _leader_pid(url) == survivor.pid  # the standby took the polling over
    finally:
        for process in bots:
            with contextlib.suppress(ProcessLookupError):
                await stop(process)
    assert set(_welcomes(sandbox, LATER).values()) == {1}
