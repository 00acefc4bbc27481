"""What the admin job commands say: plain functions over the runner and ``job_runs``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.context import Services
from bot.core.jobs import store
from bot.core.jobs.schedule import describe, first_fire
from bot.core.jobs.spec import JobSpec
from bot.core.jobs.store import JobRunRecord
from bot.core.plural import plural
from bot.core.replies import shorten

HISTORY_DEFAULT, HISTORY_MAX = 10, 50
# A job's error can be a page long: a reply shows its start (the log and job_runs keep it all).
DETAIL_MAX, HISTORY_DETAIL_MAX = 1000, 300


def local(instant: datetime | None, tz: ZoneInfo) -> str:
    return "—" if instant is None else f"{instant.astimezone(tz):%Y-%m-%d %H:%M}"


def seconds(duration: float | None) -> str:
    return "—" if duration is None else f"{duration:.2f}s"


def known_jobs(services: Services) -> str:
    return "Known jobs: " + (", ".join(services.jobs.names()) or "none")


def finished_text(record: JobRunRecord) -> str:
    """``finished: succeeded in 0.12s — 42 missions queued``."""
    detail = record.summary if record.status == "succeeded" else record.error
    return (
        f"{record.job} finished: {record.status} in {seconds(record.duration)} "
        f"after {plural(record.attempts, 'attempt')} — "
        f"{shorten(detail or 'no summary', DETAIL_MAX)}"
    )


def next_run(services: Services, spec: JobSpec, paused: set[str]) -> str:
    if not services.jobs.enabled(spec.name):
        return "disabled"
    if spec.name in paused:
        return "paused"
    if spec.manual:
        return "by /runjob only"
    fire = first_fire(services.jobs.trigger(spec.name), services.clock.now())
    return local(fire, services.settings.tz)


async def overview(services: Services) -> str:
    """``/jobs``: each job with its schedule, next run, last status and duration."""
    services.runner.validate()
    async with services.db.session() as session:
        last = await store.latest(session)
        paused = await store.paused_jobs(session)
    lines = [f"Jobs ({len(services.jobs)}), times in {services.settings.timezone}:"]
    for spec in services.jobs:
        run = last.get(spec.name)
        status = f"{run.status} {seconds(run.duration)}" if run else "never run"
        lines.append(
            f"• {spec.name} — {describe(spec.schedule)} — next {next_run(services, spec, paused)}"
            f" — last {status}"
            + (f" at {local(run.started_at, services.settings.tz)}" if run else "")
        )
    return "\n".join(lines)


async def history_text(services: Services, name: str, limit: int) -> str:
    """``/jobhistory``: the last ``limit`` runs of ``name``, newest first."""
    async with services.db.session() as session:
        runs = await store.history(session, name, min(max(limit, 1), HISTORY_MAX))
    if not runs:
        return f"{name} has not run yet."
    tz = services.settings.tz
    lines = [f"Last {plural(len(runs), 'run')} of {name}:"]
    for run in runs:
        detail = run.summary if run.status == "succeeded" else run.error
        detail = shorten(detail, HISTORY_DETAIL_MAX) if detail else None
        lines.append(
            f"#{run.id} {local(run.scheduled_for, tz)} {run.trigger} {run.status} "
            f"{seconds(run.duration)} ×{run.attempts}" + (f" — {detail}" if detail else "")
        )
    return "\n".join(lines)
