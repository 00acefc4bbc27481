"""The Redis caches (imported only where ``REDIS_URL`` is set).

With Redis, the cache survives outages: :class:`FailoverCache` serves from this
process's memory while the breaker is open (every value it writes is kept there too,
so the last values it wrote are still read during an outage).
"""

from __future__ import annotations

import contextlib

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.core.kernel.breaker import CircuitBreaker
from bot.core.kernel.cache import KEY_PREFIX, Cache, MemoryCache

#: What an unreachable, restarting or hung Redis raises.
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
REDIS_TIMEOUT = 1.0  # seconds to connect or to answer, so an outage is noticed promptly


def redis_client(url: str) -> Redis:
    """A client that fails fast (the breaker retries, not the client)."""
    return Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


class RedisCache(Cache):
    """Keys live in Redis under the ``companion:`` prefix, shared by every process."""

    __slots__ = ("redis",)

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self, key: str) -> str | None:
        value = await self.redis.get(KEY_PREFIX + key)
        return None if value is None else value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        px = None if ttl is None else max(1, int(ttl * 1000))
        await self.redis.set(KEY_PREFIX + key, value, px=px)

    async def delete(self, key: str) -> None:
        await self.redis.delete(KEY_PREFIX + key)

    async def add(self, key: str, amount: float) -> float:
        return float(await self.redis.incrbyfloat(KEY_PREFIX + key, amount))

    async def close(self) -> None:
        await self.redis.aclose()


class FailoverCache(RedisCache):
    """Redis while the breaker is closed, this process's memory while it is open."""

    __slots__ = ("breaker", "fallback")

    def __init__(self, redis: Redis, breaker: CircuitBreaker) -> None:
        super().__init__(redis)
        self.breaker = breaker
        self.fallback = MemoryCache()

    async def get(self, key: str) -> str | None:
        if self.breaker.allow():
            try:
                value = await super().get(key)
            except REDIS_ERRORS as exc:
                self.breaker.failed(exc)
            else:
                self.breaker.succeeded()
                return value
        return await self.fallback.get(key)

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await self.fallback.set(key, value, ttl)
        if self.breaker.allow():
            try:
                await super().set(key, value, ttl)
            except REDIS_ERRORS as exc:
                self.breaker.failed(exc)
            else:
                self.breaker.succeeded()

    async def delete(self, key: str) -> None:
        await self.fallback.delete(key)
        if self.breaker.allow():
            try:
                await super().delete(key)
            except REDIS_ERRORS as exc:
                self.breaker.failed(exc)
            else:
                self.breaker.succeeded()

    async def add(self, key: str, amount: float) -> float:
        """Redis's shared total; while it is away, this process's own (counted from 0)."""
        if self.breaker.allow():
            try:
                value = await super().add(key, amount)
            except REDIS_ERRORS as exc:
                self.breaker.failed(exc)
            else:
                self.breaker.succeeded()
                return value
        return await self.fallback.add(key, amount)

    async def close(self) -> None:
        with contextlib.suppress(*REDIS_ERRORS):  # nothing to free on a connection that is gone
            await super().close()
