"""Checks on the job runner's records: runs stuck past their timeout, slots that never ran.

Fire times come from the same triggers the runner schedules with
(``services.jobs.trigger``), so both agree on what "the 03:00 slot" is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core.context import Services
from bot.core.jobs import store
from bot.core.jobs.models import JobRun, RunStatus
from bot.core.jobs.schedule import last_fire
from bot.modules.monitoring.service import Findings, State

STARTED_KEY = "monitoring:started"


async def check_stuck_jobs(services: Services, now: datetime, state: State) -> Findings:
    """A ``running`` row whose start plus the job's timeout is in the past."""
    async with services.db.session() as session:
        rows = await session.execute(
            select(JobRun.id, JobRun.job, JobRun.started_at).where(
                JobRun.status == RunStatus.RUNNING
            )
        )
        running = rows.all()
    findings: Findings = {}
    for run_id, job, started_at in running:
        spec = services.jobs.get(job)
        timeout = spec.timeout if spec else 3600.0
        if started_at + timedelta(seconds=timeout) < now:
            findings[f"job-stuck:{job}"] = (
                f"Job {job} is stuck: run #{run_id} started {started_at:%Y-%m-%d %H:%M} UTC "
                f"and is still running past its {timeout:g}s timeout."
            )
    return findings


async def check_missed_slots(services: Services, now: datetime, state: State) -> Findings:
    """The last slot of each enabled, unpaused job, due over the grace period ago, has no run.

    Only slots since this process started count: earlier ones are the
    runner's catch-up business (it records them as run or missed).
    """
    started = datetime.fromisoformat(await services.cache.get(STARTED_KEY) or now.isoformat())
    grace = timedelta(seconds=services.settings.monitoring.missed_grace_seconds)
    findings: Findings = {}
    async with services.db.session() as session:
        paused = await store.paused_jobs(session)
        for spec in services.jobs:
            if not services.jobs.enabled(spec.name) or spec.name in paused:
                continue
            slot = last_fire(services.jobs.trigger(spec.name), now - grace)
            if slot is None or slot < started or await store.slot_taken(session, spec.name, slot):
                continue
            findings[f"job-missed:{spec.name}"] = (
                f"Job {spec.name} did not run its {slot:%Y-%m-%d %H:%M} UTC slot."
            )
    return findings


async def mark_started(services: Services) -> None:
    """Remember when this process began watching (set by the on_start hook)."""
    await services.cache.set(STARTED_KEY, services.clock.now().isoformat())
