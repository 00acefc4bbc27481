"""``python -m bot jobs list|run``: the admin job commands without a chat."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot.core.context import App, Services, services_of
from bot.core.jobs import ArgsError, RunStatus, Trigger, parse_args
from bot.modules.admin import service


async def list_jobs(app: App) -> int:
    services = services_of(app)
    try:
        print(await service.overview(services))
    finally:
        await services.db.dispose()
    return 0


async def run_job(app: App, name: str, words: Sequence[str]) -> int:
    """Run ``name`` as a manual run; exit 0 on success, 1 on failure, 2 on bad input."""
    services = services_of(app)
    try:
        return await _run(services, name, words)
    finally:
        await services.db.dispose()


async def _run(services: Services, name: str, words: Sequence[str]) -> int:
    spec = services.jobs.get(name)
    if spec is None:
        print(f"unknown job {name!r}. {service.known_jobs(services)}", file=sys.stderr)
        return 2
    try:
        args = parse_args(spec.args, words)
    except ArgsError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    record = await services.runner.run(
        name, trigger=Trigger.MANUAL, scheduled_for=services.clock.now(), args=args
    )
    if record is None:
        print(f"{name} did not run: another run of it is in progress", file=sys.stderr)
        return 1
    print(service.finished_text(record))
    return 0 if record.status == RunStatus.SUCCEEDED else 1
