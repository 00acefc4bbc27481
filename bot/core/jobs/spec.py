"""A job as data: what runs, when, and how failures are handled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.core.jobs.models import Trigger

if TYPE_CHECKING:
    from telegram import Bot

S = TypeVar("S")  # what the application hands to its jobs (its ``Services``)


@dataclass(frozen=True, slots=True)
class Every:
    """Every N seconds (``Every(300)``, ``Every.minutes(5)``)."""

    seconds: float

    @classmethod
    def minutes(cls, n: float) -> Every:
        return cls(n * 60)

    def __str__(self) -> str:
        s = self.seconds
        return f"every {s / 60:g}m" if s % 60 == 0 else f"every {s:g}s"


@dataclass(frozen=True, slots=True)
class DailyAt:
    """Every day at a local wall-clock time in ``TIMEZONE``."""

    at: time

    def __str__(self) -> str:
        return f"daily {self.at:%H:%M}"


@dataclass(frozen=True, slots=True)
class Cron:
    """A five-field cron expression in ``TIMEZONE`` (``"0 9 * * *"``)."""

    expression: str

    def __str__(self) -> str:
        return f"cron {self.expression}"


Schedule = Every | DailyAt | Cron


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts in all (1 = no retry), exponential backoff with jitter between them."""

    attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 300.0
    jitter: float = 0.2


@dataclass(slots=True)
class JobContext(Generic[S]):
    """What a job function receives: the services, the bot, and this run's facts. Jobs
    are written as ``async def job(ctx: JobContext[Services])``; the jobs package itself
    knows nothing of the services above it."""

    services: S
    bot: Bot
    name: str
    trigger: Trigger
    scheduled_for: datetime
    args: dict[str, Any] = field(default_factory=dict)
    requested_by: int | None = None  # the admin's chat for manual runs


# A job function returns a short, human-readable summary of what it did; written with
# ``translatable(lambda: _(...))`` it is stored in every shipped language, and each admin
# reads it in theirs.
JobFunc = Callable[[JobContext[Any]], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One periodic job, declared once by its module.

    ``args`` names the arguments a manual run accepts and their types
    (``{"limit": int}``); a job with no ``args`` accepts none. A ``manual`` job is
    never scheduled nor caught up (only ``/runjob`` runs it): its schedule is not used,
    and a ``JOBS__<NAME>__SCHEDULE`` for it is refused rather than silently ignored.
    """

    name: str
    func: JobFunc
    schedule: Schedule
    description: str = ""
    timeout: float = 300.0
    retry: RetryPolicy = RetryPolicy()
    priority: int = 0
    catchup: float = 3600.0
    args: Mapping[str, type] = field(default_factory=dict)
    manual: bool = False
