"""Jobs: declared once as data (:class:`JobSpec`), listed in one :class:`JobRegistry`."""

from bot.core.jobs.registry import JobRegistry
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

__all__ = [
    "Cron",
    "DailyAt",
    "Every",
    "JobContext",
    "JobFunc",
    "JobRegistry",
    "JobSpec",
    "RetryPolicy",
    "Schedule",
]
