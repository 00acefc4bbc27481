"""A scheduled slot that falls while the database does not answer is not lost: it runs
once the database is back, within the job's catch-up window, or is recorded missed after
it. The outage is a real lock on the SQLite file, held by another connection."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.core.context import Services
from bot.core.kernel.clock import SystemClock
from bot.core.kernel.settings import Settings
from tests.helpers.jobs import Recorder, runs, services_with

pytestmark = pytest.mark.sqlite_only  # the fault is a SQLite lock taken from outside


def _lock(settings: Settings) -> sqlite3.Connection:
    path = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("BEGIN EXCLUSIVE")
    return connection


async def _run_through_an_outage(migrated: Settings, catchup: float) -> tuple[Recorder, Services]:
    recorder = Recorder()
    services = services_with(migrated, SystemClock(), recorder.spec(catchup=catchup))
    lock = await asyncio.to_thread(_lock, migrated)
    slot = datetime.now(UTC).replace(microsecond=0)
    task = asyncio.create_task(
        services.runner.run("test.job", trigger="scheduled", scheduled_for=slot)
    )
    await asyncio.sleep(6.5)  # longer than a write waits for a lock (5 s): the claim fails
    assert not task.done() and recorder.calls == []  # waiting for the database, not lost
    await asyncio.to_thread(lock.close)
    await asyncio.wait_for(task, timeout=60)
    return recorder, services


async def test_slot_during_an_outage_runs_once_when_the_database_is_back(
    migrated: Settings,
) -> None:
    """Within the catch-up window the slot runs late, once, recorded as a catch-up."""
    recorder, services = await _run_through_an_outage(migrated, catchup=600)
    try:
        [run] = await runs(services)
        assert (run.status, run.trigger, len(recorder.calls)) == ("succeeded", "catchup", 1)
    finally:
        await services.db.dispose()


async def test_slot_past_its_catch_up_window_is_recorded_missed(migrated: Settings) -> None:
    """A job that never catches up (catchup=0) gets its slot recorded missed, with why."""
    recorder, services = await _run_through_an_outage(migrated, catchup=0)
    try:
        [run] = await runs(services)
        assert run.status == "missed" and "database was unreachable" in (run.error or "")
        assert recorder.calls == []
    finally:
        await services.db.dispose()
