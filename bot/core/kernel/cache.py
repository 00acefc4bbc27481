"""A small key-value cache: in memory by default, Redis when ``REDIS_URL`` is set.

The Redis caches live in :mod:`bot.core.kernel.rediscache`, imported only where ``REDIS_URL``
is set, so a bot without Redis never loads the Redis client.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

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

    @abstractmethod
    async def add(self, key: str, amount: float) -> float:
        """Add ``amount`` to the number at ``key`` (0 if none), atomically; the new value.
        Processes sharing a Redis add to one total (cluster-wide figures)."""

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

    async def add(self, key: str, amount: float) -> float:
        total = float(await self.get(key) or 0) + amount
        await self.set(key, repr(total))
        return total
