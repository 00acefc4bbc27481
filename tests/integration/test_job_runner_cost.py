"""What a job run costs the database, counted (not timed): statements, and on SQLite the
hand-overs to aiosqlite's thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, text

from bot.core.context import Services
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings
from tests.helpers.jobs import Recorder, alerts, runs, services_with
from tests.helpers.owned import own_db

NINE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
_STATE = "INSERT INTO job_state (job, paused, consecutive_failures) VALUES ('{job}', false, 0)"


@contextmanager
def _statements(services: Services) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def _hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The calls handed to aiosqlite's thread while the block runs (counted, then made)."""
    made: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(aiosqlite.Connection, "_execute", counted)
        yield made


async def test_an_unblocked_run_is_two_statements(migrated: Settings) -> None:
    """A run nothing stands in the way of: one statement claims the slot, one records the
    end (and reads the failure streak); no pause, live-run or streak queries of their own."""
    services = services_with(migrated, ManualClock(NINE), Recorder().spec())
    await services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)  # warm
    with _statements(services) as seen:
        later = NINE.replace(hour=10)
        record = await services.runner.run("test.job", trigger="scheduled", scheduled_for=later)
    assert record is not None and record.status == "succeeded"
    assert [s.split()[0] for s in seen] == ["INSERT", "UPDATE"], seen
    assert len(await runs(services)) == 2


async def test_a_failed_run_still_counts_its_streak(migrated: Settings) -> None:
    """The recording statement's streak read sends the first failure's alert and the
    recovery's, as the slower path did."""
    job = Recorder(fail=1)
    services = services_with(migrated, ManualClock(NINE), job.spec())
    failed = await services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)
    later = NINE.replace(hour=10)
    ok = await services.runner.run("test.job", trigger="scheduled", scheduled_for=later)
    assert failed is not None and failed.status == "failed"
    assert ok is not None and ok.status == "succeeded"
    texts = await alerts(services)
    assert any("failed" in t for t in texts) and any("recovered" in t for t in texts), texts


@pytest.mark.sqlite_only
async def test_sqlite_run_is_four_thread_hops(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a run hands four calls to aiosqlite's thread: each statement whole in one
    (not cursor, execute, fetch, close) and each commit; no ping, no rollback after commit."""
    services = services_with(migrated, ManualClock(NINE), Recorder().spec())
    await services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)
    with _hops(monkeypatch) as made:
        later = NINE.replace(hour=10)
        assert await services.runner.run("test.job", trigger="scheduled", scheduled_for=later)
    assert sorted(made) == ["_execute_on_thread", "_execute_on_thread", "commit", "commit"]


async def test_an_abandoned_transaction_is_rolled_back(migrated: Settings) -> None:
    """A connection given back to the pool inside a transaction is rolled back (the pool's
    own rollback is skipped only after a commit): its write is gone and holds no lock."""
    db = own_db(Database(migrated.database_url))
    async with db.engine.connect() as conn:
        await conn.execute(text(_STATE.format(job="left")))
    async with db.session() as session:
        await session.execute(text(_STATE.format(job="next")))
    async with db.session() as session:
        jobs = list(await session.scalars(text("SELECT job FROM job_state ORDER BY job")))
    assert jobs == ["next"]
