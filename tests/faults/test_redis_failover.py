"""The limiter's failover backend on a real redis-server: a release that fails after a
successful send is not raised (the send is not made again), the windows move back to
Redis when it answers again, and a learned rate is applied to the shared window."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.core.kernel.breaker import CircuitBreaker
from bot.core.kernel.rediscache import FailoverCache, redis_client
from bot.core.ratelimit import (
    CompanionRateLimiter,
    MemoryBackend,
    RatePolicy,
    Scope,
    Verdict,
    Window,
)
from bot.core.ratelimit.failover import FailoverBackend
from bot.core.ratelimit.redis import RedisBackend
from tests.helpers.servers import RedisServer

# No database: the PostgreSQL run would repeat them as they are.
pytestmark = [pytest.mark.redis, pytest.mark.own_database]
POLICY = RatePolicy(Window(30, 1.0), Window(3, 3.0), Window(20, 60.0), Window(100, 1.0))


def _limiter(server: RedisServer, breaker: CircuitBreaker) -> CompanionRateLimiter:
    backend = FailoverBackend(RedisBackend(redis_client(server.url)), MemoryBackend(), breaker)
    return CompanionRateLimiter(POLICY, backend)


async def test_redis_dying_during_a_send_does_not_fail_the_send(
    redis_server: RedisServer,
) -> None:
    """Redis killed while a message is in flight: the caller gets the answer, once."""
    breaker = CircuitBreaker("redis", retry_seconds=0.2)
    limiter = _limiter(redis_server, breaker)
    calls = 0

    async def send() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        await redis_server.kill()
        return {"ok": True}

    result = await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 9}, None)
    assert (result, calls) == ({"ok": True}, 1)
    assert breaker.degraded
    await limiter.shutdown()


async def test_windows_return_to_redis_when_it_answers_again(
    redis_server: RedisServer,
) -> None:
    """Down: sends are admitted in memory; back: the next sends are counted in Redis."""
    breaker = CircuitBreaker("redis", retry_seconds=0.2)
    limiter = _limiter(redis_server, breaker)
    cache = FailoverCache(redis_client(redis_server.url), breaker)

    async def send() -> bool:
        return True

    await cache.set("kept", "before")
    await redis_server.kill()
    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 10}, None)
    assert breaker.degraded
    assert await cache.get("kept") == "before"  # the last value this process wrote
    await redis_server.start()
    probe = Redis(port=redis_server.port)
    try:
        for _ in range(100):
            await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 11}, None)
            if not breaker.degraded:
                break
            await asyncio.sleep(0.05)
        assert not breaker.degraded
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 12}, None)
        assert await probe.exists("companion:rl:global")
    finally:
        await probe.aclose()
        await cache.close()
        await limiter.shutdown()


class _ObservedRedis(RedisBackend):
    """The real Redis backend, keeping each verdict it gave (to see a refusal happen)."""

    __slots__ = ("answered", "verdicts")

    def __init__(self, redis: Redis) -> None:
        super().__init__(redis)
        self.verdicts: list[Verdict] = []
        self.answered = asyncio.Event()

    async def acquire(self, scopes: Sequence[Scope], token: str) -> Verdict:
        verdict = await super().acquire(scopes, token)
        self.verdicts.append(verdict)
        self.answered.set()
        return verdict


async def test_a_learned_rate_applies_to_the_shared_window(
    redis_server: RedisServer,
) -> None:
    """With Redis, a process that learned a lower rate counts every process's sends: after
    another process sent 15 in a window of 30 per minute, that one still sends (16 of 30),
    while the one that learned 15 per minute is refused by Redis and waits for the window.
    A minute-long window makes "waits" a fact of Redis's answer, not of the machine's speed."""
    policy = RatePolicy(Window(30, 60.0), Window(3, 3.0), Window(20, 60.0), Window(100, 1.0))
    backends = [_ObservedRedis(redis_client(redis_server.url)) for _ in range(2)]
    learned, other = (CompanionRateLimiter(policy, backend) for backend in backends)
    learned.adaptive.decrease(policy.scopes({})[0], time.monotonic())  # 30/min -> 15/min
    sent: list[int] = []

    async def send(chat: int) -> bool:
        sent.append(chat)
        return True

    async def request(limiter: CompanionRateLimiter, chat: int) -> Any:
        data = {"chat_id": chat}
        return await limiter.process_request(send, (chat,), {}, "sendMessage", data, None)

    try:
        async with asyncio.timeout(30):  # a hang guard: each admission is immediate or never
            for chat in range(100, 116):  # 15 slots of the shared window, then a 16th
                await request(other, chat)
            assert all(v.scope is None for v in backends[1].verdicts)  # never refused
            waiting = asyncio.create_task(request(learned, 201))
            await backends[0].answered.wait()
        [refusal, *_] = backends[0].verdicts
        assert refusal.scope is not None and refusal.scope.key == "global"
        assert refusal.scope.window == Window(15, 60.0) and refusal.wait > 1.0
        assert not waiting.done() and 201 not in sent and learned.waiting("interactive") == 1
        waiting.cancel()
    finally:
        await learned.shutdown()
        await other.shutdown()
