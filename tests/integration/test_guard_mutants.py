"""Guards pinned down to the line, on a real (migrated) database: the runner's slow-path slot
claim (``store.claim``), which ``make mutate`` showed no test held to its exact row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.core.jobs import store
from bot.core.jobs.models import JobRun, RunStatus
from bot.core.kernel.db import Database

SLOT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
NOW = SLOT + timedelta(seconds=3)


async def test_the_slow_path_claims_a_slot_once_with_its_row_as_asked(db: Database) -> None:
    async with db.session() as session:
        first = await store.claim(session, "demo.tick", SLOT, "manual", NOW, requested_by=7)
        again = await store.claim(session, "demo.tick", SLOT, "schedule", NOW, requested_by=8)
        other = await store.claim(
            session, "demo.tick", SLOT + timedelta(minutes=1), "schedule", NOW
        )
    assert isinstance(first, int) and isinstance(other, int) and first != other
    assert again is None  # the slot was taken: no second row, no id
    async with db.session() as session:
        rows = (await session.scalars(select(JobRun).order_by(JobRun.id))).all()
    assert [(r.id, r.scheduled_for, r.trigger, r.requested_by) for r in rows] == [
        (first, SLOT, "manual", 7),
        (other, SLOT + timedelta(minutes=1), "schedule", None),
    ]
    assert all(r.status == RunStatus.RUNNING and r.attempts == 0 for r in rows)
    assert all(r.started_at == NOW and r.finished_at is None for r in rows)
