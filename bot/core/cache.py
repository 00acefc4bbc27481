"""A small key-value cache: in memory by default, Redis when ``REDIS_URL`` is set."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

from redis.asyncio import Redis

KEY_PREFIX = "companion:"


class Cache(ABC):
    """String values with an optional time to live."""

    __slots__ = ()

    @abstractmethod
    async def get(self, key: str) -> str | None: ...

    @abstractmethod
    async def set(self, key: str, value: str, ttl: float | None = None) -> None: ...

    @abstractmethod
    async def delete(self, key: str) -> None: ...

    async def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections, if any."""


class MemoryCache(Cache):
    """A dict with expiry times, for one process."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, float | None]] = {}

    async def get(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._items[key]
            return None
        return value

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        expires = None if ttl is None else time.monotonic() + ttl
        self._items[key] = (value, expires)

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)


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

    async def close(self) -> None:
        await self.redis.aclose()
