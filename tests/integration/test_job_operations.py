"""Retention and monitoring of the job runner's records (job_runs)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.core.context import Services
from bot.core.delivery import OutboxMessage
from bot.core.jobs.models import JobRun
from bot.core.kernel.settings import Settings
from bot.modules.cleanup import service as cleanup
from bot.modules.monitoring import jobs as monitoring
from bot.modules.monitoring.jobchecks import mark_started
from tests.helpers.factories import job_run
from tests.helpers.operations import build, job_context


async def _run(services: Services, job: str, started: datetime, status: str = "succeeded") -> None:
    async with services.db.session() as session:
        session.add(job_run(job, started, status=status))


async def test_job_runs_retention_keeps_the_last_runs_of_every_job(migrated: Settings) -> None:
    """Old finished runs go, except the newest N per job, running rows and recent rows."""
    services, clock, _bot = build(migrated)
    now, day = clock.now(), timedelta(days=1)
    for age in (40, 41, 42, 43, 44):
        await _run(services, "a", now - age * day)
    await _run(services, "a", now - 50 * day, status="running")
    await _run(services, "b", now - 60 * day, status="failed")
    for hours in (1, 2, 3):
        await _run(services, "c", now - timedelta(hours=hours))

    purged = await cleanup.purge_job_runs(
        services.db, before=now - 30 * day, keep_last=2, batch_size=2
    )

    assert (purged.rows, purged.batches) == (3, 2)
    async with services.db.session() as session:
        left = (await session.execute(select(JobRun.job, JobRun.started_at))).all()
    ages = sorted((job, (now - started).days) for job, started in left)
    assert ages == [("a", 40), ("a", 41), ("a", 50), ("b", 60), ("c", 0), ("c", 0), ("c", 0)]


async def _incident_alerts(services: Services) -> list[str]:
    async with services.db.session() as session:
        keys = await session.scalars(
            select(OutboxMessage.key)
            .where(OutboxMessage.key.like("alert:incident:%"))
            .order_by(OutboxMessage.id)
        )
        return list(keys)


async def test_stuck_job_alerts_once_and_clears(migrated: Settings) -> None:
    """A run still 'running' past its job's timeout opens one incident, one all-clear after."""
    services, clock, bot = build(migrated)
    services.runner.validate()
    await mark_started(services)
    timeout = services.jobs.get("cleanup.daily").timeout  # type: ignore[union-attr]
    await _run(services, "cleanup.daily", clock.now() - timedelta(seconds=timeout + 60), "running")
    ctx = lambda: job_context(services, bot, "monitoring.health")  # noqa: E731
    assert "job-stuck:cleanup.daily" in await monitoring.health(ctx())
    assert "job-stuck:cleanup.daily" in await monitoring.health(ctx())
    async with services.db.session() as session:
        await session.execute(update(JobRun).values(status="timed_out", finished_at=clock.now()))
    summary = await monitoring.health(ctx())
    assert "job-stuck" not in summary and "cleared" in summary
    keys = [k for k in await _incident_alerts(services) if "job-stuck" in k]
    assert [k.split(":")[-2] for k in keys] == ["open", "clear"]


async def test_missed_slot_alerts_until_it_runs(migrated: Settings) -> None:
    """A slot past the grace period with no job_runs row is an incident; a run clears it."""
    services, clock, bot = build(migrated)
    services.runner.validate()
    await mark_started(services)
    clock.advance(timedelta(minutes=7))  # monitoring.health's 12:01 and 12:02 slots never ran
    summary = await monitoring.health(job_context(services, bot, "monitoring.health"))
    assert "job-missed:monitoring.health" in summary
    grace = migrated.monitoring.missed_grace_seconds
    slot = clock.now() - timedelta(seconds=grace)
    await _run(services, "monitoring.health", slot.replace(second=0, microsecond=0))
    summary = await monitoring.health(job_context(services, bot, "monitoring.health"))
    assert "job-missed:monitoring.health" not in summary


async def test_a_slot_lost_between_two_runs_is_reported_once(migrated: Settings) -> None:
    """A slot with no run between slots that ran (lost in a database outage) is reported
    by the next check although the job's last slot ran, and clears at the check after."""
    services, clock, bot = build(migrated)
    services.runner.validate()
    await mark_started(services)
    grace = migrated.monitoring.missed_grace_seconds
    clock.advance(timedelta(seconds=grace + 180))
    newest = (clock.now() - timedelta(seconds=grace)).replace(second=0, microsecond=0)
    for minutes in (1, 2, 4):  # the slot three minutes before `newest` never ran
        await _run(services, "monitoring.health", newest - timedelta(minutes=minutes))
    await _run(services, "monitoring.health", newest)
    ctx = lambda: job_context(services, bot, "monitoring.health")  # noqa: E731
    lost = newest - timedelta(minutes=3)
    summary = await monitoring.health(ctx())
    assert "job-missed:monitoring.health" in summary
    assert "job-missed:monitoring.health" not in await monitoring.health(ctx())
    alerts = await _incident_alerts(services)
    keys = [k for k in alerts if "job-missed:monitoring.health" in k]
    assert [k.split(":")[-2] for k in keys] == ["open", "clear"], (keys, lost)
