"""Jobs: declared once as data (:class:`JobSpec`), listed in one :class:`JobRegistry`."""

from bot.core.jobs.args import ArgsError, parse_args
from bot.core.jobs.fire_times import describe, first_fire, next_fire
from bot.core.jobs.jobqueue import start_jobs
from bot.core.jobs.models import JobRun, RunStatus, Trigger
from bot.core.jobs.registry import JobRegistry
from bot.core.jobs.runner import JobRunner
from bot.core.jobs.spec import (
    Cron,
    DailyAt,
    Every,
    JobContext,
    JobFunc,
    JobSpec,
    RetryPolicy,
    Schedule,
)
from bot.core.jobs.store import JobRunRecord, history, installed_at, latest, paused_jobs

__all__ = [
    "ArgsError",
    "Cron",
    "DailyAt",
    "Every",
    "JobContext",
    "JobFunc",
    "JobRegistry",
    "JobRun",
    "JobRunRecord",
    "JobRunner",
    "JobSpec",
    "RetryPolicy",
    "RunStatus",
    "Schedule",
    "Trigger",
    "describe",
    "first_fire",
    "history",
    "installed_at",
    "latest",
    "next_fire",
    "parse_args",
    "paused_jobs",
    "start_jobs",
]
