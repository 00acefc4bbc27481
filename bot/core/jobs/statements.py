"""The runner's hot path as two prepared Core statements: claim a free slot, record an end.

A run that nothing blocks costs one ``INSERT ... SELECT ... RETURNING`` (the claim, with the
pause switch and running rows checked in the same statement) and one ``UPDATE ... RETURNING``
(the outcome, with the job's failure streak read in the same statement). The statements are
built once per process and dialect and executed with parameters, so a run builds no SQL,
computes no cache key and loads no ORM object. Anything unusual (a pause, a running or stale
row, a streak to grow or end) falls back to the runner's slower, explicit path.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, bindparam, exists, or_, select
from sqlalchemy import update as generic_update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.jobs.models import JobRun, JobState, RunStatus, Trigger
from bot.core.jobs.store import _COLUMNS, JobRunRecord
from bot.core.kernel import UTCDateTime, insert_for

Streak = tuple[int, datetime | None] | None


@cache
def _claim_statement(dialect: str) -> Any:
    job = bindparam("p_job", type_=String())
    running = exists().where(JobRun.job == job, JobRun.status == RunStatus.RUNNING)
    paused = exists().where(JobState.job == job, JobState.paused.is_(True))
    values = select(
        job,
        bindparam("p_slot", type_=UTCDateTime()),
        bindparam("p_trigger", type_=String()),
        bindparam("p_status", type_=String()),
        bindparam("p_attempts", type_=Integer()),
        bindparam("p_started", type_=UTCDateTime()),
        bindparam("p_requested_by", type_=BigInteger()),
        bindparam("p_holder", type_=String()),
    ).where(~running, or_(bindparam("p_manual", type_=Boolean()), ~paused))
    columns = ["job", "scheduled_for", "trigger", "status", "attempts", "started_at"]
    columns += ["requested_by", "holder"]
    statement = insert_for(dialect, JobRun).from_select(columns, values)
    return statement.on_conflict_do_nothing().returning(JobRun.id)


async def claim_free(
    conn: AsyncConnection,
    *,
    job: str,
    slot: datetime,
    trigger: Trigger,
    manual: bool,
    now: datetime,
    requested_by: int | None,
    holder: str | None = None,
) -> int | None:
    """Insert the ``running`` row of a slot when nothing stands in its way: no row of the job
    is running (live or stale), the job is not paused (a manual run ignores the switch), the
    slot is not taken. Its id, or None: then the caller finds out why, on the slow path."""
    params = {
        "p_job": job,
        "p_slot": slot,
        "p_trigger": trigger,
        "p_status": RunStatus.RUNNING,
        "p_attempts": 0,
        "p_started": now,
        "p_requested_by": requested_by,
        "p_manual": manual,
        "p_holder": holder,
    }
    result = await conn.execute(_claim_statement(conn.dialect.name), params)
    run_id: int | None = result.scalar_one_or_none()
    return run_id


@cache
def _finish_statement() -> Any:
    job = bindparam("p_job", type_=String())
    failures = select(JobState.consecutive_failures).where(JobState.job == job)
    alerted = select(JobState.last_alert_at).where(JobState.job == job)
    values = {
        "status": bindparam("p_status", type_=String()),
        "attempts": bindparam("p_attempts", type_=Integer()),
        "finished_at": bindparam("p_finished", type_=UTCDateTime()),
        "duration": bindparam("p_duration"),
        "error": bindparam("p_error", type_=String()),
        "summary": bindparam("p_summary", type_=String()),
    }
    statement = generic_update(JobRun).where(JobRun.id == bindparam("p_id", type_=Integer()))
    return statement.values(values).returning(
        *_COLUMNS,
        failures.scalar_subquery().label("failures"),
        alerted.scalar_subquery().label("alerted"),
    )


async def finish(
    conn: AsyncConnection, run_id: int, job: str, **values: Any
) -> tuple[JobRunRecord, Streak]:
    """Write the outcome of a run; the row as it now stands and the job's failure streak
    (``(consecutive_failures, last_alert_at)``, None before its state row exists)."""
    params = {f"p_{name}": value for name, value in values.items()}
    result = await conn.execute(_finish_statement(), {**params, "p_id": run_id, "p_job": job})
    row = result.one()
    record = JobRunRecord(*row[: len(_COLUMNS)])
    failures, alerted = row[len(_COLUMNS)], row[len(_COLUMNS) + 1]
    return record, None if failures is None else (int(failures), alerted)
