"""What the admin job commands say: plain functions over the runner and ``job_runs``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.context import Services
from bot.core.jobs import (
    DailyAt,
    Every,
    JobRun,
    JobRunRecord,
    JobSpec,
    Trigger,
    describe,
    first_fire,
    latest,
    parse_args,
    paused_jobs,
)
from bot.core.kernel import redact
from bot.core.people import N_, _, current, duration, ngettext, weekday
from bot.core.people import seconds as format_seconds
from bot.core.telegram import shorten

HISTORY_DEFAULT, HISTORY_MAX = 10, 50
# A job's error can be a page long: a reply shows its start (the log and job_runs keep it all).
DETAIL_MAX, HISTORY_DETAIL_MAX = 1000, 300


def local(instant: datetime | None, tz: ZoneInfo) -> str:
    return "—" if instant is None else f"{instant.astimezone(tz):%Y-%m-%d %H:%M}"


def seconds(duration: float | None) -> str:
    return "—" if duration is None else format_seconds(duration)


TRIGGERS = {"manual": N_("manual"), "scheduled": N_("scheduled"), "catchup": N_("catch-up")}


def trigger_word(trigger: str) -> str:
    """How a run was started, in the reader's language."""
    known = TRIGGERS.get(trigger)
    return _(known) if known else trigger


def schedule_words(spec: JobSpec) -> str:
    """A job's schedule as the reader says it (a cron expression stays cron)."""
    if spec.manual:
        return _("by /runjob only")
    schedule = spec.schedule
    if isinstance(schedule, Every):
        return _("every {interval}").format(interval=duration(timedelta(seconds=schedule.seconds)))
    if isinstance(schedule, DailyAt):
        return _("daily at {time}").format(time=schedule.at.strftime("%H:%M"))
    return describe(schedule)


def known_jobs(services: Services) -> str:
    names = ", ".join(services.jobs.names()) or _("none")
    return _("Known jobs: {names}").format(names=names)


def shown(error: str | None) -> str | None:
    """A run's stored error as an admin reads it: redacted again (rows written before errors
    were redacted when stored, or under other secrets, show no secret either)."""
    return redact(error) if error else error


def finished_text(record: JobRunRecord) -> str:
    """``finished: succeeded in 0.12s — 42 missions queued``."""
    detail = record.summary_in(current()) if record.status == "succeeded" else shown(record.error)
    attempts = ngettext("{count} attempt", "{count} attempts", record.attempts)
    text = _("{job} finished: {status} in {duration} after {attempts} — {detail}")
    return text.format(
        job=record.job,
        status=status_word(record.status),
        duration=seconds(record.duration),
        attempts=attempts.format(count=record.attempts),
        detail=shorten(detail or _("no summary"), DETAIL_MAX),
    )


STATUSES = {
    "running": N_("running"),
    "succeeded": N_("succeeded"),
    "failed": N_("failed"),
    "timed_out": N_("timed_out"),
    "missed": N_("missed"),
}


def status_word(status: str) -> str:
    """A run's status in the reader's language (English keeps the stored word)."""
    known = STATUSES.get(status)
    return _(known) if known else status


def next_run(services: Services, spec: JobSpec, paused: set[str]) -> str:
    if not services.jobs.enabled(spec.name):
        return _("disabled")
    if spec.name in paused:
        return _("paused")
    if spec.manual:
        return "—"
    fire = first_fire(services.jobs.trigger(spec.name), services.clock.now())
    tz = services.settings.tz
    return "—" if fire is None else f"{weekday(fire, tz)} {local(fire, tz)}"


async def overview(services: Services) -> str:
    """``/jobs``: each job with its schedule, next run, last status and duration."""
    services.runner.validate()
    async with services.db.session() as session:
        last = await latest(session)
        paused = await paused_jobs(session)
    head = _("Jobs ({count}), times in {zone}:")
    lines = [head.format(count=len(services.jobs), zone=services.settings.timezone)]
    for spec in services.jobs:
        run, upcoming = last.get(spec.name), next_run(services, spec, paused)
        if run is None:
            line = _("• {job} — {schedule} — next {next} — not run yet")
            lines.append(line.format(job=spec.name, schedule=schedule_words(spec), next=upcoming))
            continue
        line = _("• {job} — {schedule} — next {next} — last {status} in {duration} at {at}")
        lines.append(
            line.format(
                job=spec.name,
                schedule=schedule_words(spec),
                next=upcoming,
                status=status_word(run.status),
                duration=seconds(run.duration),
                at=local(run.started_at, services.settings.tz),
            )
        )
    return "\n".join(lines)


async def history_text(services: Services, name: str, limit: int) -> str:
    """``/jobhistory``: the last ``limit`` runs of ``name``, newest first."""
    runs = await recent_runs(services, name, limit)
    if not runs:
        return _("{job} has not run yet.").format(job=name)
    tz = services.settings.tz
    head = ngettext("Last {count} run of {job}:", "Last {count} runs of {job}:", len(runs))
    lines = [head.format(count=len(runs), job=name)]
    for run in runs:
        detail = run.summary_in(current()) if run.status == "succeeded" else shown(run.error)
        detail = shorten(detail, HISTORY_DETAIL_MAX) if detail else None
        lines.append(
            f"#{run.id} {local(run.scheduled_for, tz)} {trigger_word(run.trigger)} "
            f"{status_word(run.status)} "
            f"{seconds(run.duration)} ×{run.attempts}" + (f" — {detail}" if detail else "")
        )
    return "\n".join(lines)


async def recent_runs(
    services: Services,
    name: str,
    limit: int,
    *,
    status: str | None = None,
    trigger: str | None = None,
) -> list[JobRunRecord]:
    """The last ``limit`` (1-50) runs of ``name``, newest first; only those of ``status``
    and ``trigger`` when given (``/jobhistory`` and the console's history)."""
    query = select(JobRun).where(JobRun.job == name)
    if status is not None:
        query = query.where(JobRun.status == status)
    if trigger is not None:
        query = query.where(JobRun.trigger == trigger)
    query = query.order_by(JobRun.id.desc()).limit(min(max(limit, 1), HISTORY_MAX))
    async with services.db.session() as session:
        return [JobRunRecord.of(row) for row in (await session.execute(query)).scalars()]


FAILURES = frozenset({"failed", "timed_out"})


def failure_streak(runs: Sequence[JobRunRecord]) -> int:
    """How many of the newest finished runs failed in a row (running and missed slots are
    neither a failure nor a success)."""
    streak = 0
    for run in runs:
        if run.status in FAILURES:
            streak += 1
        elif run.status == "succeeded":
            break
    return streak


class JobBusy(Exception):
    """A run of the job is in progress in this process: a second one waits its turn."""


def manual_args(services: Services, name: str, words: Sequence[str]) -> dict[str, Any]:
    """The arguments ``key=value`` words give a manual run of ``name`` (``/runjob`` and the
    console): :class:`ArgsError` for what the job does not take, :class:`JobBusy` while it
    runs."""
    args = parse_args(services.runner.spec(name).args, words)
    if services.runner.is_running(name):
        raise JobBusy(name)
    return args


async def run_manually(
    services: Services, name: str, args: dict[str, Any], user_id: int | None
) -> JobRunRecord | None:
    """Run ``name`` now through the runner, as ``user_id`` asked (None: the slot was taken)."""
    return await services.runner.run(
        name,
        trigger=Trigger.MANUAL,
        scheduled_for=services.clock.now(),
        args=args,
        requested_by=user_id,
    )
