"""Helpers for the job tests: a runner on a real database with test jobs declared."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from bot.app import build_application, build_services
from bot.core.context import Services
from bot.core.delivery.outbox import OutboxMessage
from bot.core.jobs import DailyAt, JobContext, JobSpec, RetryPolicy, store
from bot.core.jobs.models import JobRun
from bot.core.kernel.clock import Clock
from bot.core.kernel.settings import Settings
from tests.helpers.owned import own

NO_RETRY = RetryPolicy(attempts=1)


def services_with(settings: Settings, clock: Clock, *specs: JobSpec) -> Services:
    """Services (runner bound to a built application) with ``specs`` declared; disposed
    after the test."""
    services = build_services(settings, clock=clock)
    for spec in specs:
        services.jobs.add(spec)
    build_application(settings, services=services, modules=())
    return own(services)


def manual_context(services: Services, bot: Any, name: str, **args: Any) -> JobContext:
    """What a job function receives on a manual run of ``name`` now."""
    return JobContext(services, bot, name, "manual", services.clock.now(), dict(args))


async def run_job(services: Services, bot: Any, name: str, **args: Any) -> str | None:
    """Call the declared job ``name``'s function as a manual run would (no runner, no record):
    the one way the tests run a job's body."""
    spec = services.jobs.get(name)
    assert spec is not None, f"no job {name}"
    return await spec.func(manual_context(services, bot, name, **args))


class Recorder:
    """A job function that records its calls and can be told to fail or to wait."""

    def __init__(self, *, fail: int = 0, summary: str = "done") -> None:
        self.calls: list[JobContext] = []
        self.fail = fail
        self.summary = summary
        self.release = asyncio.Event()
        self.release.set()
        self.entered = asyncio.Event()

    async def __call__(self, ctx: JobContext[Services]) -> str | None:
        self.calls.append(ctx)
        self.entered.set()
        await self.release.wait()
        if len(self.calls) <= self.fail:
            raise RuntimeError(f"boom {len(self.calls)}")
        return self.summary

    def spec(self, name: str = "test.job", **kwargs: Any) -> JobSpec:
        values: dict[str, Any] = {"schedule": DailyAt(time(9, 0)), "retry": NO_RETRY, **kwargs}
        return JobSpec(name=name, func=self, **values)


async def runs(services: Services, job: str = "test.job") -> list[JobRun]:
    async with services.db.session() as session:
        result = await session.execute(select(JobRun).where(JobRun.job == job).order_by(JobRun.id))
        return list(result.scalars())


async def alerts(services: Services) -> list[str]:
    async with services.db.session() as session:
        rows = await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.category == "alert")
            .order_by(OutboxMessage.id)
        )
        return [row.payload["text"] for row in rows.scalars()]


async def installed(services: Services, at: datetime) -> None:
    """Record that the bot first started on this database at ``at`` (an older install)."""
    async with services.db.session() as session:
        await store.first_start(session, at)


async def installed_days_before(services: Services, days: int) -> None:
    """Record the bot's first start ``days`` before the clock's now (a bot that has run for
    a while: the daily report covers only days it existed)."""
    from sqlalchemy import update

    from bot.core.jobs.models import Installation
    from bot.core.jobs.store import first_start

    when = services.clock.now() - timedelta(days=days)
    async with services.db.session() as session:
        await first_start(session, when)
        await session.execute(update(Installation).values(started_at=when))
