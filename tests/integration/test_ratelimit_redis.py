"""Shared rate limits: two limiters with their own connections to one real redis-server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.core.ratelimit import CompanionRateLimiter, RatePolicy, Window
from bot.core.ratelimit.redis import RedisBackend
from tests.helpers.servers import RedisServer

pytestmark = pytest.mark.redis
JITTER = 0.01  # seconds: the stamps' error against Redis's clock (see the first test)
POLICY = RatePolicy(
    total=Window(5, 0.5), private=Window(3, 1.0), group=Window(20, 60.0), paid=Window(100, 1.0)
)


async def _burst(limiter: CompanionRateLimiter, stamps: list[float], chats: Iterable[int]) -> None:
    async def send(chat_id: int) -> Any:
        async def call() -> bool:
            stamps.append(time.monotonic())
            return True

        return await limiter.process_request(
            call, (), {}, "sendMessage", {"chat_id": chat_id}, {"lane": "bulk"}
        )

    await asyncio.gather(*(send(chat) for chat in chats))


async def test_two_limiters_share_the_global_window(redis_server: RedisServer) -> None:
    """Two limiters on one Redis together never exceed the global window."""
    first = CompanionRateLimiter(POLICY, RedisBackend(Redis(port=redis_server.port)))
    second = CompanionRateLimiter(POLICY, RedisBackend(Redis(port=redis_server.port)))
    stamps: list[float] = []
    async with asyncio.timeout(60):  # a hang guard; the pace is asserted by the gaps below
        await asyncio.gather(
            _burst(first, stamps, range(1, 11)), _burst(second, stamps, range(11, 21))
        )
    await first.shutdown()
    await second.shutdown()
    stamps.sort()
    assert len(stamps) == 20
    gaps = [stamps[i + 5] - stamps[i] for i in range(len(stamps) - 5)]
    # The window is kept by Redis's clock; a stamp is taken here after each admission's
    # round trip, so one may be a millisecond or two early against the one five before it.
    # Without the shared window every gap would be about 0 (ten sends from each at once).
    assert all(gap >= 0.5 - JITTER for gap in gaps), gaps


async def test_per_chat_window_is_shared_and_429_closes_it(redis_server: RedisServer) -> None:
    """One chat's window is shared too: four sends to one chat from each limiter at once
    keep together to the chat's 3 a second (each limiter alone would let 3 through at
    once, 6 together); and a 429 seen by one limiter pauses the other."""
    first = CompanionRateLimiter(POLICY, RedisBackend(Redis(port=redis_server.port)))
    second = CompanionRateLimiter(POLICY, RedisBackend(Redis(port=redis_server.port)))
    stamps: list[float] = []
    await asyncio.gather(_burst(first, stamps, [7] * 4), _burst(second, stamps, [7] * 4))
    stamps.sort()
    assert len(stamps) == 8
    limit, period = POLICY.private.limit, POLICY.private.period
    gaps = [stamps[i + limit] - stamps[i] for i in range(len(stamps) - limit)]
    assert all(gap >= period - JITTER for gap in gaps), gaps
    await first.backend.close(POLICY.scopes({"chat_id": 7})[1], 0.6)
    closed_at = time.monotonic()
    await _burst(second, stamps, range(7, 8))
    await first.shutdown()
    await second.shutdown()
    assert stamps[-1] - closed_at >= 0.5
