"""One budget without Redis, on real processes: two (and four) `run` processes share a
broadcast through a real redis-server, which is killed mid-broadcast and started again. The
sandbox enforces Telegram's 30 a second in total (429 above it): while Redis is away each
process takes half (a quarter) of it, and when Redis is back the shared window resumes
without a burst. On the PostgreSQL run of the suite (``--db=postgres``) the database is
PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox import SandboxServer
from tests.conftest import database_url, upgrade_fresh
from tests.helpers.outbox import queue
from tests.helpers.processes import quiet, start_bot, stop
from tests.helpers.servers import RedisServer, free_port

pytestmark = pytest.mark.redis
AUDIENCE = range(63_000, 63_900)
LIMIT = 30  # the sandbox's messages per second in total (Telegram's)


async def _redis_state(port: int) -> str | None:
    """What the process serving ``/healthz`` on ``port`` says of Redis (None: not up yet)."""
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            state = json.loads(await response.text()).get("redis")
    except aiohttp.ClientError:
        return None
    return str(state) if state is not None else None


async def _all_say(ports: list[int], state: str, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if [await _redis_state(port) for port in ports] == [state] * len(ports):
                return
            await asyncio.sleep(0.1)


def _busiest_second(stamps: list[float]) -> int:
    """The most messages the sandbox recorded in any one second."""
    stamps = sorted(stamps)
    most, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.mark.timeout(420)  # up to four process start-ups and a 30 s broadcast, on a busy machine
@pytest.mark.parametrize("replicas", [2, 4])
async def test_processes_keep_one_budget_while_redis_is_down(
    tmp_path: Path, sandbox: SandboxServer, redis_server: RedisServer, replicas: int
) -> None:
    """Redis killed after 60 messages of a broadcast of 900 by two (four) processes, started
    again after 240 more: 0 429s from the sandbox all along (together they never went over
    30 a second, also when Redis came back: the sandbox answers 429 to anything above),
    every user got the message exactly once, and every process sent."""
    url = database_url(tmp_path)
    await upgrade_fresh(url)
    await queue(url, AUDIENCE, sandbox=sandbox, tag="budget")
    world, ports = sandbox.world, [free_port() for _ in range(replicas)]
    bots = [
        await start_bot(
            tmp_path,
            sandbox.base_url,
            url,
            BOT_TOKEN=f"123:budget{n}",
            REDIS_URL=redis_server.url,
            REDIS_RETRY_SECONDS="0.5",
            HTTP_PORT=str(port),
        )
        for n, port in enumerate(ports)
    ]
    try:
        await _all_say(ports, "ok")
        await world.wait_until(lambda: len(world.messages) >= 60, timeout=120)
        await redis_server.kill()
        down_from = len(world.messages)
        await world.wait_until(lambda: len(world.messages) >= down_from + 240, timeout=120)
        down_to = len(world.messages)
        await redis_server.start()
        await _all_say(ports, "ok")
        await world.wait_until(lambda: all(world.to(u) for u in AUDIENCE), timeout=120)
        await quiet(sandbox, url)  # a late double would have arrived by then
    finally:
        for process in bots:
            with contextlib.suppress(ProcessLookupError):
                await stop(process)
    outage = world.messages[down_from:down_to]
    busiest = _busiest_second([m.at for m in outage])
    print(f"while Redis was down: {busiest} delivered in the busiest second (limit {LIMIT})")
    assert sandbox.too_many_requests == 0
    received = Counter(m.chat_id for m in world.messages if m.chat_id in set(AUDIENCE))
    assert set(received) == set(AUDIENCE) and set(received.values()) == {1}
    assert all(sandbox.stats[f"sent-with:123:budget{n}"] for n in range(replicas))
