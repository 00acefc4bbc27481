"""Liveness: trust that lasts a while after each successful renewal, renewed on a period.

The one primitive under the two ways a process of a cluster says "I am still here": the
polling lease (``lease.py``: only its holder may call ``getUpdates``) and the instance
heartbeat (``instances.py``: the outbox rows a process claimed stay its own). Each renews
something in the database every ``period`` seconds; a renewal that succeeded makes this
process trust what it holds for ``valid_for`` seconds of the monotonic clock, a margin
inside the time after which another process may take it over. Past that, a careful caller
stops (polling) or waits (new claims) until a renewal succeeds again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.core.kernel import cancel_and_wait


class Liveness:
    """Whether this process may still trust what it holds, and the loop that renews it."""

    __slots__ = ("_ok_at", "_renewed", "_task", "name", "period", "valid_for")

    def __init__(self, name: str, *, period: float, valid_for: float) -> None:
        self.name, self.period, self.valid_for = name, period, valid_for
        self._ok_at: float | None = None  # monotonic time of the last successful renewal
        self._renewed = asyncio.Event()  # set at every successful renewal
        self._task: asyncio.Task[None] | None = None

    def renewed(self, at: float | None = None) -> None:
        """A renewal succeeded (``at``: when it started, monotonic; now by default)."""
        self._ok_at = time.monotonic() if at is None else at
        self._renewed.set()

    def lost(self) -> None:
        """What was held is gone (given back, or taken by another process)."""
        self._ok_at = None

    @property
    def holding(self) -> bool:
        """Renewed since the start or the last :meth:`lost`, however long ago."""
        return self._ok_at is not None

    def remaining(self) -> float:
        """Seconds of trust left (0 when none)."""
        if self._ok_at is None:
            return 0.0
        return max(0.0, self._ok_at + self.valid_for - time.monotonic())

    @property
    def fresh(self) -> bool:
        """True while the last successful renewal is recent enough to be trusted."""
        return self.remaining() > 0

    async def until_fresh(self) -> None:
        """Return once ``fresh`` (at once, unless renewals are late)."""
        while not self.fresh:
            self._renewed.clear()
            await self._renewed.wait()

    def start(self, renew: Callable[[], Awaitable[None]]) -> None:
        """Call ``renew`` every ``period`` seconds in the background until :meth:`stop`;
        ``renew`` records its outcome itself (:meth:`renewed`, :meth:`lost`) and handles
        its own errors (a failure must not end the loop)."""

        async def keep() -> None:
            while True:
                await asyncio.sleep(self.period)
                await renew()

        self._task = asyncio.create_task(keep(), name=self.name)

    async def stop(self) -> None:
        """End the renewals (what is held is given back by its owner)."""
        if self._task is not None:
            await cancel_and_wait([self._task], what=self.name)
            self._task = None
