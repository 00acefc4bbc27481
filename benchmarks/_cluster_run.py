"""The body of ``benchmarks/cluster.py``, run with ``$COMPANION_TEST_POSTGRES_URL`` set."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bot.core.delivery import Outbox, Priority
from bot.core.kernel.clock import SystemClock
from bot.core.kernel.db import Database
from bot.core.kernel.migrate import upgrade
from bot.sandbox import SandboxServer

USERS = int(os.environ.get("CLUSTER_USERS", "1800"))
COUNTS = tuple(int(n) for n in os.environ.get("CLUSTER_PROCESSES", "1,2,4").split(","))
BASE = 2_000_000
GLOBAL = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _redis(folder: Path) -> tuple[asyncio.subprocess.Process, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed (make redis)")
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(folder),
        stdout=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


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


async def _queue(url: str, sandbox: SandboxServer) -> None:
    db, outbox = Database(url), Outbox(SystemClock())
    async with db.session() as session:
        for n in range(USERS):
            user_id = BASE + n
            sandbox.world.user(user_id)
            await outbox.enqueue(
                session,
                key=f"cluster:{user_id}",
                chat_id=user_id,
                user_id=user_id,
                category="announcement",
                priority=Priority.BROADCAST,
                text="cluster news",
            )
    await db.dispose()


async def _processes(
    n: int, url: str, redis: str, sandbox: SandboxServer, folder: Path
) -> list[asyncio.subprocess.Process]:
    env = {k: v for k, v in os.environ.items() if k not in ("ADMIN_IDS",)}
    env.update(
        BOT_TOKEN="123:cluster",
        TELEGRAM_API_BASE_URL=sandbox.base_url,
        DATABASE_URL=url,
        REDIS_URL=redis,
        LOG_LEVEL="ERROR",
    )
    return [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=folder,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(n)
    ]


async def _case(n: int, redis: str, folder: Path) -> dict[str, float | int]:
    sandbox = SandboxServer()
    await sandbox.start()
    url = await _database(f"cluster_{n}")
    await _queue(url, sandbox)
    world, wanted = sandbox.world, set(range(BASE, BASE + USERS))
    processes = await _processes(n, url, redis, sandbox, folder)
    try:
        deadline = time.monotonic() + USERS / GLOBAL * 3 + 30
        while time.monotonic() < deadline:
            if wanted <= {m.chat_id for m in world.messages}:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # a late double would land meanwhile
    finally:
        for process in processes:
            process.terminate()
        await asyncio.gather(*(p.wait() for p in processes))
        await sandbox.stop()
    sent = [m for m in world.messages if m.chat_id in wanted]
    received = Counter(m.chat_id for m in sent)
    span = max(sent[-1].at - sent[0].at, 1e-9) if len(sent) > 1 else 1e-9
    return {
        "processes": n,
        "share": len(received) / span / GLOBAL,
        "lost": len(wanted - set(received)),
        "doubled": sum(c - 1 for c in received.values()),
        "429s": sandbox.too_many_requests,
    }


async def _main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="companion-cluster-"))
    redis, redis_url = await _redis(folder)
    try:
        rows = [await _case(n, redis_url, folder) for n in COUNTS]
    finally:
        redis.kill()
        await redis.wait()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"broadcast of {USERS} on PostgreSQL + Redis, sandbox at {GLOBAL:g}/s in total")
    print(f"{'processes':>9} {'rate/limit':>10} {'lost':>5} {'doubled':>8} {'429s':>5}")
    for row in rows:
        print(
            f"{row['processes']:>9} {row['share']:>10.2f} {row['lost']:>5} "
            f"{row['doubled']:>8} {row['429s']:>5}"
        )


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
