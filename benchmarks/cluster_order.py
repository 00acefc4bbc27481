"""Several processes, one order: each chat's updates in order across webhook replicas, and a
polling leader lost on another host replaced in seconds, on PostgreSQL.

``python -m benchmarks cluster_order`` (``make bench BENCH=cluster_order``; also run by
``make bench BENCH=cluster``): starts a throw-away PostgreSQL (``tests/postgres.sh``), then

1. two webhook replicas behind a round-robin load balancer (each call to the next
   replica); ORDER_USERS users (200) each send five bursts of two, "/missiontime 08:30"
   and at once "/missiontime 09:00" (then other pairs of times), 1,000 bursts in all:
   printed, the bursts applied out of order (answered in the other order or not at all,
   or a stored time other than the second) per 1,000, and how long the bursts took;
2. two polling processes as on two hosts (the holder of the lease cannot be seen dead by
   the other); the leader is killed (SIGKILL) TAKEOVER_KILLS times (5), each time at a
   random moment of its renewal period, and a new standby started: printed, the seconds
   from the kill to the survivor's first ``getUpdates`` (min, median, max);
3. the same two processes left idle for IDLE_SECONDS (20): the database's transactions
   per second and the lookups of the ``leases`` table per second (what holding and
   watching the lease costs).

The sandbox's flood limits are lifted and the bots' own limits raised (ordering is
measured, not pacing). About two minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.core.cluster.instances import InstanceRow
from bot.core.kernel.db import Database
from bot.core.kernel.migrate import upgrade
from bot.sandbox import FloodLimits, SandboxServer

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("ORDER_USERS", "200"))  # each sends five bursts: 1,000 in all
ROUNDS = (
    ("08:30", "09:00"),
    ("07:15", "10:45"),
    ("06:00", "06:05"),
    ("12:00", "11:59"),
    ("23:30", "05:00"),
)
BURST_WAIT = float(os.environ.get("BURST_WAIT", "300"))
KILLS = int(os.environ.get("TAKEOVER_KILLS", "5"))
IDLE = float(os.environ.get("IDLE_SECONDS", "20"))
BASE = 3_000_000
FAST = {
    "RATE_GLOBAL_PER_SECOND": "1000",
    "RATE_PRIVATE_PER_SECOND": "100",
    "RATE_PRIVATE_BURST": "100",
}


async def _database(name: str) -> str:
    server = make_url(os.environ["COMPANION_TEST_POSTGRES_URL"])
    conn = await asyncpg.connect(host=server.host, port=server.port, user=server.username)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = server.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, url)
    return url


async def _stop(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            process.terminate()
    await asyncio.gather(*(p.wait() for p in processes))


async def _order(folder: Path) -> dict[str, float]:
    from tests.e2e.test_chat_order import cluster, mission_minutes, registered

    sandbox = SandboxServer(limits=FloodLimits.lifted())
    await sandbox.start()
    url = await _database("cluster_order")
    users = list(range(BASE, BASE + USERS))
    balancer, replicas = await cluster(folder, sandbox, url, **FAST)
    wrong, took = 0, 0.0
    try:
        await registered(sandbox, users)
        for first, second in ROUNDS:
            started = time.monotonic()
            said = await _burst(sandbox, users, first, second)
            took += time.monotonic() - started
            stored = await mission_minutes(url, users)
            minute = int(second[:2]) * 60 + int(second[3:])
            wrong += sum(1 for u in users if said[u] != [first, second] or stored[u] != minute)
    finally:
        await _stop(replicas)
        await balancer.stop()
        await sandbox.stop()
    bursts = len(users) * len(ROUNDS)
    return {"bursts": bursts, "out_of_order": wrong * 1000 / bursts, "seconds": took}


async def _burst(
    sandbox: SandboxServer, users: list[int], first: str, second: str
) -> dict[int, list[str]]:
    """Each user sends ``/missiontime first`` then at once ``/missiontime second``: the times
    the answers named, in order (a burst not answered twice in ``BURST_WAIT`` counts as out
    of order: a handling that failed)."""
    from tests.e2e.test_chat_order import answered_times

    world = sandbox.world
    before = {u: len(answered_times(sandbox, u)) for u in users}
    for user in users:
        world.send_text(user, f"/missiontime {first}")
        world.send_text(user, f"/missiontime {second}")

    def done() -> bool:
        marker = "Your missions now arrive at "
        said = Counter(m.chat_id for m in world.messages if (m.text or "").startswith(marker))
        return all(said[u] >= before[u] + 2 for u in users)

    with contextlib.suppress(TimeoutError):
        await world.wait_until(done, timeout=BURST_WAIT)
    return {u: answered_times(sandbox, u)[before[u] :] for u in users}


async def _standing(url: str, pid: int) -> None:
    """Until the process ``pid`` has registered its instance (it is up and stepping)."""
    db = Database(url)
    try:
        for _ in range(600):
            async with db.session() as session:
                found = await session.scalar(select(func.count()).where(InstanceRow.pid == pid))
            if found:
                return
            await asyncio.sleep(0.1)
    finally:
        await db.dispose()
    raise RuntimeError("a standby never started")


async def _takeover(folder: Path) -> tuple[list[float], dict[str, float]]:
    from tests.e2e.test_takeover import lease_holder, start_on_host

    sandbox = SandboxServer()
    await sandbox.start()
    url = await _database("cluster_takeover")
    processes = [await start_on_host(folder, sandbox, url, "host-0.invalid")]
    times: list[float] = []
    try:
        await sandbox.world.wait_until(lambda: sandbox.stats["getUpdates"] >= 1, timeout=60)
        for n in range(1, KILLS + 1):
            standby = await start_on_host(folder, sandbox, url, f"host-{n}.invalid")
            processes.append(standby)
            await _standing(url, standby.pid)
            await asyncio.sleep(2 + random.random())  # any moment of the renewal period
            holder = await lease_holder(url)
            [leader] = [p for p in processes if holder and p.pid == holder.pid]
            polls = sandbox.stats["getUpdates"]
            leader.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            await leader.wait()
            while sandbox.stats["getUpdates"] == polls:
                await asyncio.sleep(0.005)
                if time.monotonic() - killed > 60:
                    raise RuntimeError("no takeover within a minute")
            times.append(time.monotonic() - killed)
            processes.remove(leader)
        idle = await _idle(url)
    finally:
        await _stop(processes)
        await sandbox.stop()
    return times, idle


async def _idle(url: str) -> dict[str, float]:
    """Transactions and lease lookups per second while the two processes are idle."""
    name = make_url(url).database
    server = make_url(os.environ["COMPANION_TEST_POSTGRES_URL"])
    conn = await asyncpg.connect(
        host=server.host, port=server.port, user=server.username, database=name
    )
    query_db = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1"
    query_leases = (
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
        "WHERE relname = 'leases'"
    )
    try:
        await asyncio.sleep(3)  # settled after the last takeover
        xacts, lookups = await conn.fetchval(query_db, name), await conn.fetchval(query_leases)
        await asyncio.sleep(IDLE)
        await conn.execute("SELECT pg_stat_force_next_flush()")
        xacts_after = await conn.fetchval(query_db, name)
        lookups_after = await conn.fetchval(query_leases)
    finally:
        await conn.close()
    return {
        "xacts": (xacts_after - xacts) / IDLE,
        "lease_lookups": (lookups_after - lookups) / IDLE,
    }


async def _main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="companion-order-"))
    try:
        order = await _order(folder)
        times, idle = await _takeover(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"{order['bursts']:.0f} two-message bursts across 2 webhook replicas behind a "
        f"round-robin balancer (PostgreSQL): {order['out_of_order']:.1f} out of order per "
        f"1,000 (goal 0); the bursts took {order['seconds']:.1f} s"
    )
    print(
        f"leader killed on another host, {len(times)} times: the standby polled after "
        f"{min(times):.2f} / {statistics.median(times):.2f} / {max(times):.2f} s "
        "(min / median / max; goal <= 3 s)"
    )
    print(
        f"idle, 2 polling processes: {idle['xacts']:.2f} transactions/s in the database, "
        f"{idle['lease_lookups']:.2f} lookups/s of the leases table"
    )


def main() -> None:
    if os.environ.get("COMPANION_TEST_POSTGRES_URL"):
        asyncio.run(_main())
        return
    command = ["bash", str(ROOT / "tests" / "postgres.sh"), sys.executable, "-m"]
    subprocess.run([*command, "benchmarks.cluster_order"], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
