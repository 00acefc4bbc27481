"""The daily chart's child process never outlives the run that started it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import date
from pathlib import Path

from bot.modules.analytics.chart import render_in_child
from tests.helpers.clocks import eventually


def _children() -> set[int]:
    """This process's live child processes (Linux /proc)."""
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            pids |= {int(pid) for pid in (task / "children").read_text().split()}
    return pids


async def test_a_cancelled_chart_run_kills_and_reaps_its_child(tmp_path: Path) -> None:
    """Cancelling the job mid-draw (the bot stopping) kills the child and waits for it."""
    before = _children()
    run = asyncio.create_task(
        render_in_child([(date(2026, 12, 1), {"users": 1})], tmp_path / "c.png")
    )

    async def started() -> bool:
        return bool(_children() - before)

    await eventually(started, timeout=30)
    run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run
    assert _children() - before == set()
    assert not (tmp_path / "c.png").exists()
