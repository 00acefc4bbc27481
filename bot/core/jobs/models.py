"""Job runs and per-job state: the database is the memory the JobQueue lacks.

``job_runs`` has one row per (job, scheduled slot); inserting it is how a runner
claims the slot, so a slot runs once across restarts and across processes that
share the database. ``job_state`` keeps what must survive a restart: the pause
switch and the failure streak that throttles alerts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class RunStatus(StrEnum):
    """Values of ``job_runs.status``; ``running`` is the only non-final one."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    MISSED = "missed"


class Trigger(StrEnum):
    """Values of ``job_runs.trigger``."""

    SCHEDULED = "scheduled"
    MANUAL = "manual"
    CATCHUP = "catchup"


class JobRun(Base):
    """One run (or one missed slot) of one job."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "scheduled_for"),
        Index("ix_job_runs_status_started", "status", "started_at"),
        # A job's newest runs (/jobs, /jobhistory, the console's Jobs page) without sorting
        # all its runs: ``WHERE job = ? ORDER BY id DESC LIMIT n`` walks this backwards.
        Index("ix_job_runs_job_id", "job", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(100))
    scheduled_for: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[int | None] = mapped_column(BigInteger)
    # The process that claimed a ``running`` row (``host:pid:start:nonce``): on its own host,
    # a run whose process is gone is reaped at once instead of after the job's timeout.
    holder: Mapped[str | None] = mapped_column(String(200))


class JobState(Base):
    """What an admin or a failure streak changed about a job, kept across restarts."""

    __tablename__ = "job_state"

    job: Mapped[str] = mapped_column(String(100), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    last_alert_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class Installation(Base):
    """One row: when the bot first started on this database. Slots before it fell before
    the bot existed, so they are neither caught up nor reported missed."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    started_at: Mapped[datetime]
