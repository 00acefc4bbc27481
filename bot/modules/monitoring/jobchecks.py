"""Checks on the job runner's records: runs stuck past their timeout, slots that never ran.

Fire times come from the same triggers the runner schedules with
(``services.jobs.trigger``), so both agree on what "the 03:00 slot" is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.jobs import JobRun, RunStatus, first_fire, next_fire, paused_jobs
from bot.core.people import _, ngettext
from bot.modules.monitoring.service import Findings, State
from bot.modules.monitoring.settings import MonitoringSettings

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
            text = _(
                "Job {job} is stuck: run #{run} started {started} UTC and is still running "
                "past its {timeout}s timeout."
            )
            findings[f"job-stuck:{job}"] = text.format(
                job=job, run=run_id, started=f"{started_at:%Y-%m-%d %H:%M}", timeout=f"{timeout:g}"
            )
    return findings


LOOK_BACK = timedelta(hours=24)
MAX_SLOTS = 2000  # fire times looked at per job and check (a job every minute: 1440 a day)


async def check_missed_slots(services: Services, now: datetime, state: State) -> Findings:
    """Every slot of each enabled, unpaused job in the last day (since this process started,
    due over the grace period ago) that has no run.

    Every slot counts, not only the last: a slot lost while the database was away is
    reported once even when the next one ran, and the incident clears when a later slot
    has succeeded. Slots before this process started are the runner's catch-up business
    (it records them as run or missed).
    """
    started = datetime.fromisoformat(await services.cache.get(STARTED_KEY) or now.isoformat())
    until = now - timedelta(
        seconds=services.settings.of(MonitoringSettings).monitoring.missed_grace_seconds
    )
    since = max(started, now - LOOK_BACK)
    findings: Findings = {}
    async with services.db.session() as session:
        paused = await paused_jobs(session)
        for spec in services.jobs:
            if not services.jobs.enabled(spec.name) or spec.name in paused:
                continue
            slots = _fires(services.jobs.trigger(spec.name), since, until)
            if not slots:
                continue
            runs = await _runs_since(session, spec.name, slots[0])
            missing = [slot for slot in slots if slot not in runs]
            if not missing:
                continue
            seen_key = f"missed-seen:{spec.name}"
            new = missing[-1].isoformat() > str(state.get(seen_key, ""))
            state[seen_key] = missing[-1].isoformat()
            recovered = any(
                slot > missing[-1] and status == RunStatus.SUCCEEDED
                for slot, status in runs.items()
            )
            if recovered and not new:  # reported once; a later slot has run since
                continue
            shown = ", ".join(f"{slot:%Y-%m-%d %H:%M}" for slot in missing[-3:])
            slots_text = ngettext(
                "Job {job} did not run its {slots} UTC slot",
                "Job {job} did not run its {slots} UTC slots",
                len(missing),
            ).format(job=spec.name, slots=shown)
            if len(missing) > 3:
                slots_text += " " + _("(and {count} earlier)").format(count=len(missing) - 3)
            findings[f"job-missed:{spec.name}"] = slots_text + "."
    return findings


def _fires(trigger: Any, since: datetime, until: datetime) -> list[datetime]:
    """The trigger's fire times in ``[since, until]`` (the newest MAX_SLOTS)."""
    fires: list[datetime] = []
    fire = first_fire(trigger, since)
    while fire is not None and fire <= until:
        fires.append(fire)
        fire = next_fire(trigger, fire)
    return fires[-MAX_SLOTS:]


async def _runs_since(session: AsyncSession, job: str, since: datetime) -> dict[datetime, str]:
    rows = await session.execute(
        select(JobRun.scheduled_for, JobRun.status).where(
            JobRun.job == job, JobRun.scheduled_for >= since
        )
    )
    return {slot: status for slot, status in rows.all()}


async def mark_started(services: Services) -> None:
    """Remember when this process began watching (set by the on_start hook)."""
    await services.cache.set(STARTED_KEY, services.clock.now().isoformat())
