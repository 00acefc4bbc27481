"""A polling leader killed on another host is replaced as soon as its short lease runs out,
not after the long wait of a lease renewed rarely; the standby reads the lease only when it
may have run out."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import select

from bot.core.cluster.lease import Holder, Lease
from bot.core.kernel.db import Database
from bot.sandbox import SandboxServer
from tests.conftest import database_url, upgrade_fresh
from tests.helpers.processes import stop

# ``python -m bot run`` as on a machine named ``host``: the lease's holder names that host,
# so the other process cannot see the pid die and must wait for the lease.
_ON_HOST = (
    "import runpy, socket, sys; host = sys.argv[1]; socket.gethostname = lambda: host; "
    "sys.argv = ['bot', 'run']; runpy.run_module('bot', run_name='__main__', alter_sys=True)"
)


async def start_on_host(
    cwd: Path, sandbox: SandboxServer, url: str, host: str, **settings: str
) -> asyncio.subprocess.Process:
    """``python -m bot run`` against ``sandbox`` on ``url``, as if on the machine ``host``."""
    env = {k: v for k, v in os.environ.items() if k not in ("ADMIN_IDS", "REDIS_URL")}
    env.update(
        BOT_TOKEN="123:takeover",
        TELEGRAM_API_BASE_URL=sandbox.base_url,
        DATABASE_URL=url,
        LOG_LEVEL="WARNING",
        **settings,
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _ON_HOST,
        host,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def lease_holder(url: str) -> Holder | None:
    db = Database(url)
    try:
        async with db.session() as session:
            text = await session.scalar(select(Lease.holder).where(Lease.name == "updates"))
    finally:
        await db.dispose()
    return Holder.parse(text) if text else None


async def test_leader_killed_on_another_host_is_replaced(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """Two polling processes on hosts ``a`` and ``b``; kill -9 of the leader: the other takes
    the lease, polls (calls getUpdates) and answers a user who wrote after the kill, once.
    The time it takes is measured by ``make bench BENCH=cluster_order``; here a generous
    guard only catches a hang."""
    url = database_url(tmp_path)
    await upgrade_fresh(url)
    world = sandbox.world
    hosts = {"a": await start_on_host(tmp_path, sandbox, url, "host-a.invalid")}
    try:
        await world.wait_until(lambda: sandbox.stats["getUpdates"] >= 1, timeout=60)
        hosts["b"] = await start_on_host(tmp_path, sandbox, url, "host-b.invalid")
        holder = await lease_holder(url)
        assert holder is not None and holder.host == "host-a.invalid"
        assert holder.pid == hosts["a"].pid
        assert sandbox.stats["409"] == 0  # one poller (the dead one's poll may get one later)
        polls = sandbox.stats["getUpdates"]
        hosts["a"].send_signal(signal.SIGKILL)
        await hosts["a"].wait()
        world.send_text(52_000, "/start")
        await world.wait_until(lambda: sandbox.stats["getUpdates"] > polls, timeout=60)
        await world.wait_until(lambda: world.to(52_000), timeout=60)
        holder = await lease_holder(url)
        assert holder is not None and holder.host == "host-b.invalid"
        assert holder.pid == hosts["b"].pid
    finally:
        for process in hosts.values():
            with contextlib.suppress(ProcessLookupError):
                await stop(process)
    assert len(world.to(52_000)) == 1
