"""Wiring declared jobs onto python-telegram-bot's JobQueue.

JobQueue (APScheduler 3) only triggers; each fire hands the slot to the
runner. APScheduler does not tell a callback which fire time it is running for,
so :class:`SlotTracker` follows the trigger itself: the slot is the trigger's
fire time, never "now". ``misfire_grace_time=None`` with ``coalesce`` means a
late fire still runs (once), instead of APScheduler's default of silently
dropping anything more than a second late.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.jobs.fire_times import first_fire, last_fire, next_fire
from bot.core.jobs.models import Trigger
from bot.core.kernel import get_logger

if TYPE_CHECKING:
    from telegram.ext import CallbackContext, JobQueue

    from bot.core.jobs.registry import JobRegistry
    from bot.core.jobs.runner import JobRunner

log = get_logger(__name__)
Fire = Callable[["CallbackContext[Any, Any, Any, Any]"], Coroutine[Any, Any, None]]


class SlotTracker:
    """Which slot each fire of one trigger is for: the trigger's fire times, followed as
    the JobQueue reaches them (no clock: it is told the time of each fire)."""

    __slots__ = ("expected", "trigger")

    def __init__(self, trigger: Any, now: datetime) -> None:
        self.trigger = trigger
        self.expected = first_fire(trigger, now)

    def slot(self, now: datetime) -> datetime:
        """The slot of a fire happening at ``now``: the latest fire time reached (coalesced)."""
        slot = self.expected
        if slot is None or slot > now + timedelta(seconds=1):
            slot = last_fire(self.trigger, now) or now
        while (following := next_fire(self.trigger, slot)) is not None and following <= now:
            slot = following
        self.expected = next_fire(self.trigger, slot)
        return slot


def schedule_jobs(job_queue: JobQueue[Any], jobs: JobRegistry, runner: JobRunner) -> int:
    """Put every enabled job on the JobQueue; how many were scheduled."""
    now = datetime.now(UTC)
    scheduled = 0
    for spec in jobs:
        if not jobs.enabled(spec.name):
            log.info("job disabled by settings", job=spec.name)
            continue
        if spec.manual:
            continue
        trigger = jobs.trigger(spec.name)
        job_queue.run_custom(
            _fire(runner, spec.name, SlotTracker(trigger, now)),
            job_kwargs={
                "trigger": trigger,
                "misfire_grace_time": None,
                "coalesce": True,
                "max_instances": 1,
            },
            name=spec.name,
        )
        scheduled += 1
    return scheduled


def _fire(runner: JobRunner, name: str, slots: SlotTracker) -> Fire:
    """The JobQueue callback of job ``name``: start the run of the slot reached as a task,
    so the scheduler is never blocked."""

    async def fire(context: CallbackContext[Any, Any, Any, Any]) -> None:
        slot = slots.slot(datetime.now(UTC))
        context.application.create_task(
            runner.run(name, trigger=Trigger.SCHEDULED, scheduled_for=slot), name=f"job:{name}"
        )

    return fire


async def start_jobs(job_queue: JobQueue[Any] | None, jobs: JobRegistry, runner: JobRunner) -> None:
    """The on_start hook: validate, schedule, and have the JobQueue start the catch-up
    of missed slots as soon as it runs, i.e. once the bot is started and polling: a
    long catch-up (a daily broadcast after a restart at 09:30) never keeps users waiting."""
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"
    runner.validate()
    runner.start()
    count = schedule_jobs(job_queue, jobs, runner)

    async def catch_up(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        runner.catch_up_in_background()  # the runner owns it (``stop`` ends it)

    # However late the scheduler gets to it (APScheduler drops a job more than a second late
    # by default, which a busy start-up can be): a skipped catch-up would never run again.
    job_queue.run_once(catch_up, 0, name="jobs:catch-up", job_kwargs={"misfire_grace_time": None})
    log.info("jobs scheduled", count=count, known=len(jobs))
