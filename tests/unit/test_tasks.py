"""Stopping background tasks: cancelled and awaited, a stuck one abandoned after the grace."""

from __future__ import annotations

import asyncio
import contextlib

from structlog.testing import capture_logs

from bot.core.kernel.tasks import cancel_and_wait


async def test_cancelled_tasks_are_awaited() -> None:
    """Ordinary tasks end cancelled before cancel_and_wait returns; nothing is logged."""
    tasks = [asyncio.create_task(asyncio.sleep(60), name=f"t{i}") for i in range(3)]
    with capture_logs() as logs:
        await cancel_and_wait(tasks, what="test", grace=5)
    assert all(task.cancelled() for task in tasks)
    assert logs == []


async def test_a_task_that_swallows_cancellation_is_abandoned_and_logged() -> None:
    """A task ignoring its cancellation holds the stop for the grace only, and is named."""
    release = asyncio.Event()

    async def stubborn() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(60)
        await release.wait()

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with capture_logs() as logs:
        await cancel_and_wait([task], what="test", grace=0.2)
    assert loop.time() - started >= 0.2 and not task.done()  # abandoned after the grace
    assert logs[0]["event"] == "tasks did not stop when cancelled"
    assert logs[0]["tasks"] == ["stubborn"] and logs[0]["log_level"] == "error"
    release.set()
    await task
