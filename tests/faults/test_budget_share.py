"""One budget without Redis: windows in memory take their process's share of the total
limits, chats' windows are not divided, and when Redis answers again a send is admitted
against both this process's share and Redis's window until every process counts in Redis.

Windows are a minute long, so "refused" is a fact of the verdict, not of the machine's speed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.core.kernel.breaker import CircuitBreaker
from bot.core.kernel.rediscache import redis_client
from bot.core.ratelimit import (
    GLOBAL,
    CompanionRateLimiter,
    LimitBackend,
    MemoryBackend,
    RatePolicy,
    Scope,
    Window,
)
from bot.core.ratelimit.backend import divided
from bot.core.ratelimit.failover import FailoverBackend
from bot.core.ratelimit.redis import RedisBackend
from tests.helpers.servers import RedisServer

pytestmark = pytest.mark.own_database  # no database: the PostgreSQL run would repeat them
MINUTE = Window(30, 60.0)
TOTAL = (Scope(GLOBAL, MINUTE),)
CHAT = (Scope("private:9", Window(3, 60.0)),)


async def _admitted(backend: LimitBackend, scopes: Any, tries: int) -> int:
    """How many of ``tries`` sends in a row ``backend`` admits (each answered at once)."""
    admitted = 0
    for _ in range(tries):
        token = uuid.uuid4().hex
        verdict = await backend.acquire(scopes, token)
        if verdict.scope is None:
            admitted += 1
            await backend.release(scopes, token)
    return admitted


def test_a_total_scope_is_divided_and_a_chats_is_not() -> None:
    """30 a minute among 4 processes: 7 each (never more than 30 together); among 31, one
    slot every two minutes each; a private chat's window and a lone process keep theirs."""
    assert divided(Scope(GLOBAL, MINUTE), 4).window == Window(7, 60.0)
    assert divided(Scope("paid", Window(1000, 1.0)), 3).window == Window(333, 1.0)
    assert divided(Scope(GLOBAL, MINUTE), 31).window == Window(1, 120.0)
    assert divided(Scope(GLOBAL, MINUTE), 1).window == MINUTE
    assert divided(Scope("private:5", Window(3, 3.0)), 4).window == Window(3, 3.0)


async def test_memory_windows_admit_this_process_share() -> None:
    """With 2 live processes, 15 of 30 sends a minute are admitted here, the 16th refused
    for the global scope; a chat's own window is not shared out."""
    backend = MemoryBackend()
    backend.share(2)
    assert await _admitted(backend, TOTAL, 20) == 15
    chat = (Scope("private:7", Window(3, 60.0)),)
    assert await _admitted(backend, chat, 5) == 3
    backend.share(1)  # the other process stopped: this one may use the whole limit again
    assert await _admitted(backend, TOTAL, 20) == 15  # the 15 slots of the first half


async def test_the_limiter_paces_and_admits_its_share() -> None:
    """``share(3)``: the limiter admits 10 of 30 a minute; the 11th send waits."""
    policy = RatePolicy(MINUTE, Window(3, 3.0), Window(20, 60.0), Window(100, 1.0))
    limiter = CompanionRateLimiter(policy, MemoryBackend())
    limiter.share(3)
    sent: list[int] = []

    async def send(chat: int) -> bool:
        sent.append(chat)
        return True

    try:
        for chat in range(1, 11):
            await limiter.process_request(send, (chat,), {}, "sendMessage", {"chat_id": chat}, None)
        verdict = await limiter.backend.acquire(policy.scopes({"chat_id": 11}), "probe")
        assert verdict.scope is not None and verdict.scope.key == GLOBAL
        assert sent == list(range(1, 11))
    finally:
        await limiter.shutdown()


@pytest.mark.redis
async def test_after_redis_returns_both_windows_admit_until_settled(
    redis_server: RedisServer,
) -> None:
    """Redis killed, then back: while settling, a send counts in Redis and in this process's
    share; the share still caps this process (14 more after 1, though Redis had room), and a
    full Redis window refuses another settling process that has most of its share left
    (and that refusal does not use up its share)."""
    breakers = [CircuitBreaker("redis", retry_seconds=60) for _ in range(2)]
    first, second = (
        FailoverBackend(RedisBackend(redis_client(redis_server.url)), MemoryBackend(), b, settle=60)
        for b in breakers
    )
    other = RedisBackend(redis_client(redis_server.url))  # a process that never lost Redis
    probe = Redis(port=redis_server.port)
    for backend in (first, second):
        backend.share(2)
    try:
        await redis_server.kill()
        for backend in (first, second):
            # Away before any total send went through Redis: no window to pause for.
            assert await _admitted(backend, CHAT, 1) == 1
            assert await _admitted(backend, TOTAL, 1) == 1  # in memory: Redis is away
        assert all(breaker.degraded for breaker in breakers)
        await redis_server.start()
        for breaker in breakers:
            breaker.succeeded()  # what the background probe does when Redis answers
        assert await _admitted(first, TOTAL, 20) == 14  # its share of 15, 1 already used
        assert await probe.zcard("companion:rl:global") == 14  # counted in Redis too
        assert await _admitted(other, TOTAL, 16) == 16  # Redis's window is now full
        assert await _admitted(second, TOTAL, 1) == 0  # refused by Redis, share unused
        assert await _admitted(second.fallback, TOTAL, 20) == 14  # the rest of its share
    finally:
        await probe.aclose()
        for each in (first, second, other):
            await each.aclose()


@pytest.mark.redis
async def test_when_redis_goes_away_the_total_scopes_pause_for_a_window(
    redis_server: RedisServer,
) -> None:
    """Sends went through Redis, then Redis is killed: what Redis counted is known nowhere
    else, so the next send in the global scope waits out a window in memory (a minute here)
    instead of starting afresh on top of it; a chat's scope goes on at once."""
    breaker = CircuitBreaker("redis", retry_seconds=60)
    shared = RedisBackend(redis_client(redis_server.url))
    backend = FailoverBackend(shared, MemoryBackend(), breaker)
    try:
        assert await _admitted(backend, TOTAL, 3) == 3  # through Redis
        await redis_server.kill()
        verdict = await backend.acquire(TOTAL, uuid.uuid4().hex)
        assert breaker.degraded
        assert verdict.scope is not None and verdict.scope.key == GLOBAL
        assert verdict.wait > 30
        assert await _admitted(backend, CHAT, 1) == 1
    finally:
        await backend.aclose()
