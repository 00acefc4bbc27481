"""Reading and writing ``job_runs`` and ``job_state``: plain functions on a session."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.jobs.models import Installation, JobRun, JobState, RunStatus
from bot.core.kernel import get_or_insert, insert_ignoring, insert_missing
from bot.core.people import default_language


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
    # The summary in each shipped language, when the job wrote it so (see ``summary_in``).
    summaries: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        texts = _summaries(self.summary)
        object.__setattr__(self, "summaries", texts)
        if texts:  # the stored form is JSON; ``summary`` reads the default language's
            object.__setattr__(
                self, "summary", texts.get(default_language()) or next(iter(texts.values()))
            )

    def summary_in(self, language: str) -> str | None:
        """The summary as a reader of ``language`` reads it (a job that wrote one text: that)."""
        return self.summaries.get(language) or self.summary

    @classmethod
    def of(cls, row: JobRun) -> JobRunRecord:
        return cls(
            row.id,
            row.job,
            row.trigger,
            row.scheduled_for,
            row.status,
            row.attempts,
            row.started_at,
            row.finished_at,
            row.duration,
            row.error,
            row.summary,
            row.requested_by,
        )


async def _core(session: AsyncSession, statement: Any) -> Any:
    """Execute on the session's connection, in its transaction, without the ORM's
    statement handling (no objects are loaded or synchronised): the runner's hot path."""
    return await (await session.connection()).execute(statement)


async def claim(
    session: AsyncSession,
    job: str,
    slot: datetime,
    trigger: str,
    now: datetime,
    *,
    status: str = RunStatus.RUNNING,
    **values: Any,
) -> int | None:
    """Insert the row of a slot, started ``now`` with no attempt yet (``values``: more
    columns); its id, or None when the slot was already claimed."""
    statement = insert_ignoring(session, JobRun).values(
        job=job,
        scheduled_for=slot,
        trigger=trigger,
        status=status,
        attempts=0,
        started_at=now,
        **values,
    )
    statement = statement.returning(JobRun.id)
    run_id: int | None = (await _core(session, statement)).scalar_one_or_none()
    return run_id


_COLUMNS = (
    JobRun.id,
    JobRun.job,
    JobRun.trigger,
    JobRun.scheduled_for,
    JobRun.status,
    JobRun.attempts,
    JobRun.started_at,
    JobRun.finished_at,
    JobRun.duration,
    JobRun.error,
    JobRun.summary,
    JobRun.requested_by,
)


def _summaries(stored: str | None) -> dict[str, str]:
    """``{"en": ..., "uk": ...}`` as stored for a summary written in every language."""
    if not stored or not stored.startswith("{"):
        return {}
    try:
        found = json.loads(stored)
    except ValueError:
        return {}
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        return {}
    return {str(k): v for k, v in found.items()}


async def finish(session: AsyncSession, run_id: int, **values: Any) -> JobRunRecord:
    """Write the outcome of a run; the row as it now stands. One statement (``UPDATE ...
    RETURNING``, or a ``SELECT`` without values), no ORM object: this is the runner's hot path."""
    if values:
        statement: Any = update(JobRun).where(JobRun.id == run_id).values(**values)
        statement = statement.returning(*_COLUMNS)
    else:
        statement = select(*_COLUMNS).where(JobRun.id == run_id)
    row = (await _core(session, statement)).one()
    return JobRunRecord(*row)


async def blockers(session: AsyncSession, job: str) -> tuple[bool, list[RunningRow]]:
    """``(paused, running)`` of ``job``: the pause switch (no state row: not paused) and its
    ``running`` rows, for the caller to tell live from stale."""
    paused = select(JobState.paused).where(JobState.job == job)
    return bool((await _core(session, paused)).scalar()), await running_rows(session, job)


@dataclass(frozen=True, slots=True)
class RunningRow:
    """A ``running`` row of a job: when it started and which process claimed it."""

    id: int
    started_at: datetime
    holder: str | None


async def running_rows(session: AsyncSession, job: str) -> list[RunningRow]:
    statement = select(JobRun.id, JobRun.started_at, JobRun.holder).where(
        JobRun.job == job, JobRun.status == RunStatus.RUNNING
    )
    return [RunningRow(*row) for row in (await _core(session, statement)).all()]


async def streak(session: AsyncSession, job: str) -> tuple[int, datetime | None] | None:
    """``(consecutive_failures, last_alert_at)`` of ``job``; None before its state row exists.
    A plain row read: a success after a success changes nothing and writes nothing."""
    statement = select(JobState.consecutive_failures, JobState.last_alert_at).where(
        JobState.job == job
    )
    row = (await _core(session, statement)).first()
    return None if row is None else (int(row[0] or 0), row[1])


async def mark_timed_out(session: AsyncSession, runs: dict[int, str], now: datetime) -> list[int]:
    """Mark each of ``runs`` (id: why) timed out if it is still ``running``; the ids marked."""
    marked = []
    for run_id, why in runs.items():
        statement = (
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.status == RunStatus.RUNNING)
            .values(status=RunStatus.TIMED_OUT, finished_at=now, error=why)
            .returning(JobRun.id)
        )
        marked += list((await session.execute(statement)).scalars())
    return marked


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


async def ensure_state(session: AsyncSession, job: str) -> JobState:
    """The state row of ``job``, created on first use."""
    return await get_or_insert(session, JobState, job=job, paused=False, consecutive_failures=0)


async def paused_jobs(session: AsyncSession) -> set[str]:
    statement = select(JobState.job).where(JobState.paused.is_(True))
    return set((await session.execute(statement)).scalars())


async def installed_at(session: AsyncSession) -> datetime | None:
    """When the bot first started on this database (None: it never did yet). Reads only."""
    return await session.scalar(select(Installation.started_at).where(Installation.id == 1))


async def first_start(session: AsyncSession, now: datetime) -> datetime:
    """When the bot first started on this database; ``now`` is recorded if it never did
    (one statement, so processes starting together agree on the first)."""
    await insert_missing(session, Installation, id=1, started_at=now)
    started = await session.scalar(select(Installation.started_at).where(Installation.id == 1))
    assert started is not None
    return started
