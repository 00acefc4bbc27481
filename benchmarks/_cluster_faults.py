"""Part of ``benchmarks/cluster.py``: four `run` processes during a broadcast, when Redis stops
and when they are restarted one by one (run with ``$COMPANION_TEST_POSTGRES_URL`` set).

Redis stopped: a broadcast of CLUSTER_FAULT_USERS by 4 processes; redis-server is killed after
90 messages and started again (same port) 15 s later. Printed: the combined rate while it was
down as a share of the limit (messages over the outage's span, and the busiest second), the
busiest second of the 10 s after its return, 429s, lost and doubled.

Rolling restart: the same broadcast, Redis up; once 90 messages went, each process in turn
gets SIGTERM and, once it has exited, a new one is started and waited for (``/healthz``
answers 200). Printed: per replica, SIGTERM to exit (mean and longest) and SIGTERM to its
successor serving, then lost and doubled, and the default grace the stop did not need.

A replica killed: the same broadcast, Redis up; once 90 messages went, one process gets
SIGKILL. The rows it held then (claimed, not yet arrived) are released by the others once
its heartbeat is stale, at their original due time. Printed: the wait from the kill to the
message of the users it held (median and longest) beside the wait of every other user still
waiting at the kill (goal: the held users wait no longer than the others), lost and doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import aiohttp
from sqlalchemy import select

from benchmarks._cluster_run import _database, _free_port
from bot.core.cluster import InstanceRow
from bot.core.delivery import Category, Outbox, OutboxMessage, Priority
from bot.core.kernel.clock import SystemClock
from bot.core.kernel.db import Database
from bot.sandbox import SandboxServer

USERS = int(os.environ.get("CLUSTER_FAULT_USERS", "1500"))
REPLICAS = 4
LIMIT = 30.0
OUTAGE = 15.0  # seconds Redis stays away
AFTER = 10.0  # seconds after its return that are looked at for a burst
GRACE = 5.0  # OUTBOX_STOP_GRACE_SECONDS by default
BASE = 3_000_000
LOGS = os.environ.get("CLUSTER_LOGS")  # a folder: each process's debug log goes there


class _Redis:
    """A redis-server on a fixed port, killed and started again."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder = _free_port(), folder
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is needed (make redis)")
        self.process = await asyncio.create_subprocess_exec(
            *(binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(self.folder)),
            stdout=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(0.5)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def _queue(url: str, sandbox: SandboxServer, base: int) -> set[int]:
    db, outbox = Database(url), Outbox(SystemClock())
    async with db.session() as session:
        for user_id in range(base, base + USERS):
            sandbox.world.user(user_id)
            await outbox.enqueue(
                session,
                key=f"faults:{user_id}",
                chat_id=user_id,
                user_id=user_id,
                category=Category.ANNOUNCEMENT,
                priority=Priority.BROADCAST,
                text="cluster news",
            )
    await db.dispose()
    return set(range(base, base + USERS))


def _log_file(port: int) -> BinaryIO | None:
    """Where the process on ``port`` logs, with ``CLUSTER_LOGS`` set."""
    return (Path(LOGS) / f"replica-{port}.log").open("ab") if LOGS else None


async def _replica(
    url: str, redis: str, sandbox: SandboxServer, folder: Path, port: int
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in ("ADMIN_IDS",)}
    env.update(
        BOT_TOKEN="123:cluster",
        TELEGRAM_API_BASE_URL=sandbox.base_url,
        DATABASE_URL=url,
        REDIS_URL=redis,
        HTTP_PORT=str(port),
        LOG_LEVEL="DEBUG" if LOGS else "ERROR",
    )
    log = _log_file(port)
    try:
        return await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "run"),
            cwd=folder,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log or asyncio.subprocess.DEVNULL,
        )
    finally:
        if log is not None:
            log.close()  # the process has its own copy


async def _serving(port: int) -> None:
    """Wait until the process on ``port`` answers ``/healthz`` with 200."""
    async with aiohttp.ClientSession() as client:
        while True:
            try:
                async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)


async def _until(sandbox: SandboxServer, predicate: Callable[[], bool], timeout: float) -> None:
    """Wait for ``predicate`` about what the sandbox received (at most ``timeout``)."""
    with contextlib.suppress(TimeoutError):
        await sandbox.world.wait_until(predicate, timeout=timeout)


async def _all_arrived(sandbox: SandboxServer, wanted: set[int]) -> None:
    """Wait until every user of ``wanted`` got the message (or three times the time due)."""
    world = sandbox.world
    await _until(sandbox, lambda: wanted <= {m.chat_id for m in world.messages}, USERS / 10 + 60)


def _busiest(stamps: list[float]) -> int:
    stamps, most, start = sorted(stamps), 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def _tally(sandbox: SandboxServer, wanted: set[int]) -> tuple[int, int]:
    received = Counter(m.chat_id for m in sandbox.world.messages if m.chat_id in wanted)
    return len(wanted - set(received)), sum(c - 1 for c in received.values())


async def _stop_all(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            process.terminate()
    await asyncio.gather(*(p.wait() for p in processes))


async def _redis_stopped(folder: Path) -> dict[str, float]:
    sandbox, redis = SandboxServer(), _Redis(folder)
    await sandbox.start()
    await redis.start()
    url = await _database("cluster_budget")
    wanted = await _queue(url, sandbox, BASE)
    world = sandbox.world
    ports = [_free_port() for _ in range(REPLICAS)]
    replicas = [await _replica(url, redis.url, sandbox, folder, port) for port in ports]
    try:
        await _until(sandbox, lambda: len(world.messages) >= 90, 120)
        await redis.kill()
        down, down_at = len(world.messages), time.monotonic()
        await asyncio.sleep(OUTAGE)
        up = len(world.messages)
        await redis.start()
        up_at = time.monotonic()
        await _all_arrived(sandbox, wanted)
        await asyncio.sleep(2)  # a late double would land meanwhile
    finally:
        await _stop_all(replicas)
        await redis.kill()
        await sandbox.stop()
    outage = [m.at for m in world.messages[down:up]]
    after = [m.at for m in world.messages if up_at <= m.at < up_at + AFTER]
    lost, doubled = _tally(sandbox, wanted)
    return {
        "rate": len(outage) / max(outage[-1] - down_at, 1e-9) / LIMIT if outage else 0.0,
        "busiest": _busiest(outage) / LIMIT,
        "after": _busiest(after) / LIMIT,
        "429s": sandbox.too_many_requests,
        "lost": lost,
        "doubled": doubled,
    }


async def _rolling_restart(folder: Path) -> dict[str, float]:
    sandbox, redis = SandboxServer(), _Redis(folder)
    await sandbox.start()
    await redis.start()
    url = await _database("cluster_rolling")
    wanted = await _queue(url, sandbox, BASE + USERS)
    world = sandbox.world
    ports = [_free_port() for _ in range(REPLICAS)]
    replicas = [await _replica(url, redis.url, sandbox, folder, port) for port in ports]
    stops: list[float] = []
    cycles: list[float] = []
    try:
        await asyncio.gather(*(_serving(port) for port in ports))
        await _until(sandbox, lambda: len(world.messages) >= 90, 120)
        for index, port in enumerate(ports):
            asked = time.monotonic()
            replicas[index].terminate()
            await replicas[index].wait()
            stops.append(time.monotonic() - asked)
            replicas[index] = await _replica(url, redis.url, sandbox, folder, port)
            await _serving(port)
            cycles.append(time.monotonic() - asked)
        await _all_arrived(sandbox, wanted)
        await asyncio.sleep(2)
    finally:
        await _stop_all(replicas)
        await redis.kill()
        await sandbox.stop()
    lost, doubled = _tally(sandbox, wanted)
    return {
        "stop": sum(stops) / len(stops),
        "longest": max(stops),
        "cycle": sum(cycles) / len(cycles),
        "429s": sandbox.too_many_requests,
        "lost": lost,
        "doubled": doubled,
    }


async def _replica_killed(folder: Path) -> dict[str, float]:
    sandbox, redis = SandboxServer(), _Redis(folder)
    await sandbox.start()
    await redis.start()
    url = await _database("cluster_killed")
    wanted = await _queue(url, sandbox, BASE + 2 * USERS)
    world = sandbox.world
    ports = [_free_port() for _ in range(REPLICAS)]
    replicas = [await _replica(url, redis.url, sandbox, folder, port) for port in ports]
    db = Database(url)
    try:
        await asyncio.gather(*(_serving(port) for port in ports))
        await _until(sandbox, lambda: len(world.messages) >= 90, 120)
        victim = replicas[0]
        async with db.session() as session:
            instance = await session.scalar(
                select(InstanceRow.id).where(InstanceRow.pid == victim.pid)
            )
        victim.kill()
        killed = time.monotonic()
        await victim.wait()
        async with db.session() as session:
            claimed = set(
                (
                    await session.scalars(
                        select(OutboxMessage.chat_id).where(OutboxMessage.claimed_by == instance)
                    )
                ).all()
            )
        arrived = {m.chat_id for m in world.messages if m.at <= killed}
        held = (claimed & wanted) - arrived
        others = wanted - arrived - held
        await _all_arrived(sandbox, wanted)
        await asyncio.sleep(2)
    finally:
        await db.dispose()
        await _stop_all(replicas)
        await redis.kill()
        await sandbox.stop()
    first: dict[int, float] = {}
    for message in world.messages:
        if message.at > killed and message.chat_id not in first:
            first[message.chat_id] = message.at - killed
    lost, doubled = _tally(sandbox, wanted)
    held_waits = sorted(first[c] for c in held if c in first)
    other_waits = sorted(first[c] for c in others if c in first)
    return {
        "held": len(held),
        "held_median": statistics.median(held_waits) if held_waits else float("nan"),
        "held_longest": held_waits[-1] if held_waits else float("nan"),
        "others": len(others),
        "others_median": statistics.median(other_waits) if other_waits else float("nan"),
        "others_longest": other_waits[-1] if other_waits else float("nan"),
        "lost": lost,
        "doubled": doubled,
    }


def _print_killed(killed: dict[str, float]) -> None:
    print(f"\none of {REPLICAS} processes killed (SIGKILL) mid-broadcast ({USERS})")
    print(
        f"{'':>16} {'users':>6} {'median s':>9} {'longest s':>10}\n"
        f"{'held by it':>16} {killed['held']:>6.0f} {killed['held_median']:>9.2f} "
        f"{killed['held_longest']:>10.2f}\n"
        f"{'all others':>16} {killed['others']:>6.0f} {killed['others_median']:>9.2f} "
        f"{killed['others_longest']:>10.2f}"
    )
    ratio = killed["held_median"] / killed["others_median"]
    print(
        f"held / others (median wait from the kill): {ratio:.2f} (goal <= 1); "
        f"lost {killed['lost']:.0f}, doubled {killed['doubled']:.0f}",
        flush=True,
    )


def _print_budget(budget: dict[str, float]) -> None:
    print(f"\nRedis killed for {OUTAGE:g} s mid-broadcast ({USERS}), {REPLICAS} processes")
    head = ("rate/limit", "busiest s", "after", "429s", "lost", "doubled")
    print("{:>10} {:>9} {:>6} {:>5} {:>5} {:>8}".format(*head))
    print(
        f"{budget['rate']:>10.2f} {budget['busiest']:>9.2f} {budget['after']:>6.2f} "
        f"{budget['429s']:>5.0f} {budget['lost']:>5.0f} {budget['doubled']:>8.0f}",
        flush=True,
    )


def _print_rolling(rolling: dict[str, float]) -> None:
    print(f"\nrolling restart of {REPLICAS} processes mid-broadcast ({USERS}), grace {GRACE:g} s")
    print(f"{'stop s':>7} {'longest':>8} {'+ start':>8} {'429s':>5} {'lost':>5} {'doubled':>8}")
    print(
        f"{rolling['stop']:>7.2f} {rolling['longest']:>8.2f} {rolling['cycle']:>8.2f} "
        f"{rolling['429s']:>5.0f} {rolling['lost']:>5.0f} {rolling['doubled']:>8.0f}",
        flush=True,
    )


async def _main(cases: set[str]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="companion-cluster-faults-"))
    try:
        if "redis" in cases:
            _print_budget(await _redis_stopped(folder))
        if "rolling" in cases:
            _print_rolling(await _rolling_restart(folder))
        if "killed" in cases:
            _print_killed(await _replica_killed(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(cases: set[str] | None = None) -> None:
    asyncio.run(_main(cases or {"redis", "rolling", "killed"}))


if __name__ == "__main__":
    main()
