"""A small key-value cache: in memory by default, Redis when ``REDIS_URL`` is set.

The Redis caches live in :mod:`bot.core.kernel.rediscache`, imported only where ``REDIS_URL``
is set, so a bot without Redis never loads the Redis client.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable

KEY_PREFIX = "companion:"
SWEEP_FLOOR = 1024  # a dict this small is never swept: a sweep would cost more than it saves


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
    """A dict with expiry times, for one process.

    An expired key is dropped when it is read, and the keys nobody reads again are swept
    out when the dict has doubled since the last sweep (never below :data:`SWEEP_FLOOR`
    keys): each sweep's cost is paid by the writes that doubled the dict, and the dict
    holds at most about twice the live keys, however many short-lived keys were written.
    """

    __slots__ = ("_items", "_monotonic", "_sweep_at")

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._items: dict[str, tuple[str, float | None]] = {}
        self._monotonic = monotonic
        self._sweep_at = SWEEP_FLOOR

    def __len__(self) -> int:
        """Keys held, the expired ones not yet swept included."""
        return len(self._items)

    async def get(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._monotonic():
            del self._items[key]
            return None
        return value

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        now = self._monotonic()
        self._items[key] = (value, None if ttl is None else now + ttl)
        if len(self._items) >= self._sweep_at:
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        """Drop every expired key; the next sweep when the live keys have doubled."""
        expired = [k for k, (_v, end) in self._items.items() if end is not None and end <= now]
        for key in expired:
            del self._items[key]
        self._sweep_at = max(SWEEP_FLOOR, 2 * len(self._items))

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)

    async def add(self, key: str, amount: float) -> float:
        total = float(await self.get(key) or 0) + amount
        await self.set(key, repr(total))
        return total
