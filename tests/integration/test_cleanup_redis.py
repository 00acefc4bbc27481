"""Stale-key cleanup against a real redis-server."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.modules.cleanup.service import purge_redis

pytestmark = pytest.mark.redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def redis(tmp_path: Path) -> AsyncIterator[Redis]:
    """A throw-away redis-server on a free loopback port, no persistence."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is required (make redis)"
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = await asyncio.create_subprocess_exec(
        *args, "--dir", str(tmp_path), stdout=asyncio.subprocess.DEVNULL
    )
    client = Redis(port=port)
    try:
        for _ in range(100):
            try:
                await client.ping()
                break
            except RedisConnectionError:
                await asyncio.sleep(0.05)
        yield client
    finally:
        await client.aclose()
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


async def test_only_idle_bot_keys_without_ttl_are_removed(redis: Redis) -> None:
    """Idle `companion:` keys without TTL go; keys with TTL, recently used or foreign stay."""
    await redis.set("companion:stale:1", "x")
    await redis.set("companion:stale:2", "x")
    await redis.set("companion:used", "x")
    await redis.set("companion:expiring", "x", ex=3600)
    await redis.set("other-app:stale", "x")
    await asyncio.sleep(3.2)  # OBJECT IDLETIME counts whole seconds
    await redis.get("companion:used")

    removed = await purge_redis(redis, idle_seconds=2, batch_size=2)

    assert removed == 2
    left = sorted(key.decode() for key in await redis.keys("*"))
    assert left == ["companion:expiring", "companion:used", "other-app:stale"]
