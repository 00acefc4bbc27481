"""Stale-key cleanup against a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.modules.cleanup.service import purge_redis
from tests.helpers.servers import RedisServer

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A client of the throw-away redis-server."""
    client = Redis(port=redis_server.port)
    try:
        yield client
    finally:
        await client.aclose()


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
