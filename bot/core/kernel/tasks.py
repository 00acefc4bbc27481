"""Stopping background tasks without letting a stuck one hold the shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from bot.core.kernel.logging import get_logger

log = get_logger(__name__)

STOP_GRACE = 10.0  # seconds a cancelled task gets to finish before it is left behind


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[Any]], *, what: str, grace: float = STOP_GRACE
) -> None:
    """Cancel ``tasks`` and wait for them, at most ``grace`` seconds.

    A task that swallows its cancellation (a library catching CancelledError, a race in
    ``asyncio.wait_for`` on Python 3.11) would otherwise hang the shutdown forever; it is
    logged as an error and abandoned instead, so the process can still exit.
    """
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _done, stuck = await asyncio.wait(pending, timeout=grace)
    if stuck:
        names = sorted(task.get_name() for task in stuck)
        log.error("tasks did not stop when cancelled", what=what, tasks=names)
