"""Reading and writing ``job_runs`` and ``job_state``: plain functions on a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.db import insert_missing
from bot.core.jobs.models import Installation, JobRun, JobState, RunStatus


@dataclass(frozen=True, slots=True)
class JobRunRecord:
    """A snapshot of one ``job_runs`` row, safe to keep after its session closed."""

    id: int
    job: str
    trigger: str
    scheduled_for: datetime
    status: str
    attempts: int
    started_at: datetime
    finished_at: datetime | None
    duration: float | None
    error: str | None
    summary: str | None
    requested_by: int | None

    @classmethod
    def of(cls, row: JobRun) -> JobRunRecord:
        return cls(
            row.id, row.job, row.trigger, row.scheduled_for, row.status, row.attempts,
            row.started_at, row.finished_at, row.duration, row.error, row.summary,
            row.requested_by,
        )  # fmt: skip


def _insert_new(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(JobRun).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(JobRun).on_conflict_do_nothing()
    return insert(JobRun)


async def claim(session: AsyncSession, **values: Any) -> int | None:
    """Insert the row of a slot; its id, or None when the slot was already claimed."""
    statement = _insert_new(session).values(**values).returning(JobRun.id)
    return (await session.execute(statement)).scalar_one_or_none()


async def finish(session: AsyncSession, run_id: int, **values: Any) -> JobRunRecord:
    """Write the outcome of a run; the row as it now stands."""
    if values:
        await session.execute(update(JobRun).where(JobRun.id == run_id).values(**values))
    row = await session.get(JobRun, run_id, populate_existing=True)
    assert row is not None
    return JobRunRecord.of(row)


async def live_run(session: AsyncSession, job: str, now: datetime, timeout: float) -> bool:
    """True when a ``running`` row of ``job`` started less than ``timeout`` ago."""
    since = now - timedelta(seconds=timeout)
    statement = select(func.count()).where(
        JobRun.job == job, JobRun.status == RunStatus.RUNNING, JobRun.started_at > since
    )
    return bool((await session.execute(statement)).scalar_one())


async def stale_runs(session: AsyncSession, job: str, now: datetime, timeout: float) -> list[int]:
    """Mark ``running`` rows of ``job`` older than ``timeout`` as timed out; their ids."""
    since = now - timedelta(seconds=timeout)
    statement = (
        update(JobRun)
        .where(JobRun.job == job, JobRun.status == RunStatus.RUNNING, JobRun.started_at <= since)
        .values(
            status=RunStatus.TIMED_OUT,
            finished_at=now,
            error=f"no result within the {timeout:g}s timeout (the process stopped mid-run?)",
        )
        .returning(JobRun.id)
    )
    return list((await session.execute(statement)).scalars())


async def slot_taken(session: AsyncSession, job: str, slot: datetime) -> bool:
    statement = select(JobRun.id).where(JobRun.job == job, JobRun.scheduled_for == slot)
    return (await session.execute(statement)).first() is not None


async def history(session: AsyncSession, job: str, limit: int) -> list[JobRunRecord]:
    statement = select(JobRun).where(JobRun.job == job).order_by(JobRun.id.desc()).limit(limit)
    return [JobRunRecord.of(row) for row in (await session.execute(statement)).scalars()]


async def latest(session: AsyncSession) -> dict[str, JobRunRecord]:
    """The most recent run of every job that has one."""
    newest = select(func.max(JobRun.id)).group_by(JobRun.job).scalar_subquery()
    rows = (await session.execute(select(JobRun).where(JobRun.id.in_(newest)))).scalars()
    return {row.job: JobRunRecord.of(row) for row in rows}


async def state(session: AsyncSession, job: str) -> JobState:
    """The state row of ``job``, created on first use."""
    row = await session.get(JobState, job)
    if row is None:  # another process may create it at the same moment
        await insert_missing(session, JobState, job=job, paused=False, consecutive_failures=0)
        row = await session.get(JobState, job, populate_existing=True)
        assert row is not None
    return row


async def paused_jobs(session: AsyncSession) -> set[str]:
    statement = select(JobState.job).where(JobState.paused.is_(True))
    return set((await session.execute(statement)).scalars())


async def first_start(session: AsyncSession, now: datetime) -> datetime:
    """When the bot first started on this database; ``now`` is recorded if it never did
    (one statement, so processes starting together agree on the first)."""
    await insert_missing(session, Installation, id=1, started_at=now)
    started = await session.scalar(select(Installation.started_at).where(Installation.id == 1))
    assert started is not None
    return started
