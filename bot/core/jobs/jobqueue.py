"""Wiring declared jobs onto python-telegram-bot's JobQueue.

JobQueue (APScheduler 3) only triggers; each fire hands the slot to the
runner. APScheduler does not tell a callback which fire time it is running for,
so :class:`SlotClock` follows the trigger itself: the slot is the trigger's
fire time, never "now". ``misfire_grace_time=None`` with ``coalesce`` means a
late fire still runs (once), instead of APScheduler's default of silently
dropping anything more than a second late.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.jobs.fire_times import first_fire, last_fire, next_fire
from bot.core.jobs.models import Trigger
from bot.core.kernel.logging import get_logger

if TYPE_CHECKING:
    from bot.core.context import App, BotContext, Services
    from bot.core.jobs.runner import JobRunner

log = get_logger(__name__)


class SlotClock:
    """The fire times of one trigger, as the JobQueue reaches them."""

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


def schedule_jobs(app: App, services: Services) -> int:
    """Put every enabled job on the JobQueue; how many were scheduled."""
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    now = datetime.now(UTC)
    scheduled = 0
    for spec in services.jobs:
        if not services.jobs.enabled(spec.name):
            log.info("job disabled by settings", job=spec.name)
            continue
        if spec.manual:
            continue
        trigger = services.jobs.trigger(spec.name)
        app.job_queue.run_custom(
            _fire,
            job_kwargs={
                "trigger": trigger,
                "misfire_grace_time": None,
                "coalesce": True,
                "max_instances": 1,
            },
            name=spec.name,
            data=(spec.name, SlotClock(trigger, now)),
        )
        scheduled += 1
    return scheduled


async def _fire(context: BotContext) -> None:
    """A JobQueue fire: start the run as a task, so the scheduler is never blocked."""
    assert context.job is not None
    name, slots = _job_data(context.job.data)
    slot = slots.slot(datetime.now(UTC))
    runner: JobRunner = context.services.runner
    context.application.create_task(
        runner.run(name, trigger=Trigger.SCHEDULED, scheduled_for=slot), name=f"job:{name}"
    )


def _job_data(data: object) -> tuple[str, SlotClock]:
    assert isinstance(data, tuple)
    name, slots = data
    assert isinstance(name, str) and isinstance(slots, SlotClock)
    return name, slots


async def start_jobs(app: App, services: Services) -> None:
    """The on_start hook: validate, schedule, and have the JobQueue start the catch-up
    of missed slots as soon as it runs, i.e. once the bot is started and polling: a
    long catch-up (a daily broadcast after a restart at 09:30) never keeps users waiting."""
    services.runner.validate()
    services.runner.start()
    count = schedule_jobs(app, services)
    assert app.job_queue is not None
    app.job_queue.run_once(_catch_up, 0, name="jobs:catch-up")
    log.info("jobs scheduled", count=count, known=len(services.jobs))


async def _catch_up(context: BotContext) -> None:
    """A JobQueue fire: hand the catch-up to the runner, which owns it (``stop`` ends it)."""
    runner: JobRunner = context.services.runner
    runner.catch_up_in_background()
