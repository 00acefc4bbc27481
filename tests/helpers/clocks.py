"""Time in the tests: the instants their manual clocks start at (Saturday 21 November 2026,
UTC, far from any DST change), and waiting for a state on the event loop's real clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

MORNING = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # where most bots of the e2e tests start
NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def eventually(probe: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait until ``await probe()`` is true (a database state, say), at most ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await probe():
            return
        assert asyncio.get_running_loop().time() < deadline, "state did not change in time"
        await asyncio.sleep(0.05)
