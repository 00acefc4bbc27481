"""The console's Jobs API: the same service functions as /jobs, /runjob, /jobhistory,
/pausejob and /resumejob, answering JSON. Imported on the first console request."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core.context import Services
from bot.core.jobs import ArgsError, JobRunRecord, first_fire, latest, paused_jobs
from bot.core.kernel import ascii_int, get_logger, redact
from bot.core.people import _, current
from bot.core.web import ConsoleError, ConsoleRequest
from bot.modules.admin import service

log = get_logger(__name__)

STATUSES = frozenset({"running", "succeeded", "failed", "timed_out", "missed"})
TRIGGERS = frozenset({"manual", "scheduled", "catchup"})
_runs: set[asyncio.Task[Any]] = set()  # manual runs started from the console, until they end


def _known(request: ConsoleRequest) -> str:
    """The job the path names; 404 for a name no module declares."""
    name = request.params.get("name", "")
    if name not in request.services.jobs:
        raise ConsoleError(404, _("Unknown job {name!r}.").format(name=name))
    return name


def run_json(run: JobRunRecord) -> dict[str, Any]:
    """One run as the console shows it; a failure's error redacted, with its reference (the
    run's id, which the log lines of that run carry as ``run_id``)."""
    failed = run.status in service.FAILURES
    return {
        "id": run.id,
        "ref": f"#{run.id}",
        "trigger": run.trigger,
        "trigger_text": service.trigger_word(run.trigger),
        "status": run.status,
        "status_text": service.status_word(run.status),
        "scheduled_for": run.scheduled_for.isoformat(),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration": run.duration,
        "attempts": run.attempts,
        "requested_by": run.requested_by,
        "summary": None if failed else run.summary_in(current()),
        "error": service.shown(run.error) if failed else None,
    }


async def jobs(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/jobs``: every job, as /jobs lists them, with more detail."""
    services = request.services
    services.runner.validate()
    async with services.db.session() as session:
        last = await latest(session)
        paused = await paused_jobs(session)
    listed = [
        await _job(services, spec.name, last.get(spec.name), paused) for spec in services.jobs
    ]
    return {"timezone": services.settings.timezone, "jobs": listed}


async def _job(
    services: Services, name: str, last: JobRunRecord | None, paused: set[str]
) -> dict[str, Any]:
    spec = services.runner.spec(name)
    enabled = services.jobs.enabled(name)
    fire = None
    if enabled and name not in paused and not spec.manual:
        fire = first_fire(services.jobs.trigger(name), services.clock.now())
    streak = service.failure_streak(await service.recent_runs(services, name, service.HISTORY_MAX))
    return {
        "name": name,
        "description": spec.description,
        "schedule": service.schedule_words(spec),
        "next_run": fire.isoformat() if fire else None,
        "next_text": service.next_run(services, spec, paused),
        "enabled": enabled,
        "manual": spec.manual,
        "paused": name in paused,
        "running": services.runner.is_running(name),
        "args": {key: kind.__name__ for key, kind in spec.args.items()},
        "last": run_json(last) if last else None,
        "failure_streak": streak,
    }


async def history(request: ConsoleRequest) -> dict[str, Any]:
    """``GET /console/api/jobs/<name>/history?limit=&status=&trigger=``."""
    name, query = _known(request), request.query
    limit = ascii_int(query.get("limit", ""), 1, service.HISTORY_MAX) if query.get("limit") else 20
    status, trigger = query.get("status") or None, query.get("trigger") or None
    if (
        limit is None
        or (status and status not in STATUSES)
        or (trigger and trigger not in TRIGGERS)
    ):
        raise ConsoleError(
            400,
            _("limit is 1 to {max}; status one of {statuses}; trigger one of {triggers}").format(
                max=service.HISTORY_MAX,
                statuses=", ".join(sorted(STATUSES)),
                triggers=", ".join(sorted(TRIGGERS)),
            ),
        )
    runs = await service.recent_runs(request.services, name, limit, status=status, trigger=trigger)
    return {"job": name, "runs": [run_json(run) for run in runs]}


def _words(body: Any) -> list[str]:
    """``{"args": {"limit": "5"}}`` or ``{"args": "limit=5 dry=yes"}`` as /runjob's words."""
    args = body.get("args") if isinstance(body, dict) else None
    if args is None or args == "":
        return []
    if isinstance(args, str):
        return args.split()
    if isinstance(args, dict) and all(isinstance(k, str) for k in args):
        return [f"{key}={_text(value)}" for key, value in args.items()]
    raise ConsoleError(400, _("args: an object of key: value, or key=value words"))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value)
    raise ConsoleError(400, _("args: each value a string, a number or true/false"))


async def run(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/jobs/<name>/run`` with ``{"args": ...}``: started, as /runjob."""
    name, services = _known(request), request.services
    try:
        args = service.manual_args(services, name, _words(request.body))
    except ArgsError as exc:
        raise ConsoleError(400, str(exc)) from None
    except service.JobBusy:
        raise ConsoleError(
            409, _("{job} is already running; try again when it has finished.").format(job=name)
        ) from None
    log.info(
        "manual job run requested", job=name, user_id=request.user_id, args=args, via="console"
    )
    task = asyncio.create_task(
        _run(services, name, args, request.user_id), name=f"console-run-{name}"
    )
    _runs.add(task)
    task.add_done_callback(_runs.discard)
    return {"job": name, "started": True, "args": {key: str(value) for key, value in args.items()}}


async def _run(services: Services, name: str, args: dict[str, Any], user_id: int) -> None:
    try:
        await service.run_manually(services, name, args, user_id)
    except Exception as exc:  # the runner records job errors; this is the runner failing
        log.exception("manual job run failed to start", job=name, error=redact(str(exc)))


async def pause(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/jobs/<name>/pause``, as /pausejob."""
    return await _set_paused(request, True)


async def resume(request: ConsoleRequest) -> dict[str, Any]:
    """``POST /console/api/jobs/<name>/resume``, as /resumejob."""
    return await _set_paused(request, False)


async def _set_paused(request: ConsoleRequest, paused: bool) -> dict[str, Any]:
    name = _known(request)
    changed = await request.services.runner.set_paused(name, paused)
    log.info("job paused" if paused else "job resumed", job=name, changed=changed, via="console")
    return {"job": name, "paused": paused, "changed": changed}
