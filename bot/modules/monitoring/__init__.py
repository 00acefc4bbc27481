"""Monitoring: incidents for stuck jobs, missed runs, a stalled outbox and 429/5xx bursts;
the optional /healthz and /metrics endpoint."""

from __future__ import annotations

import asyncio

from bot.core.context import App, Services
from bot.core.kernel import cancel_and_wait
from bot.core.module import Module
from bot.modules.monitoring.jobchecks import mark_started
from bot.modules.monitoring.jobs import SPECS
from bot.modules.monitoring.service import report_forever
from bot.modules.monitoring.settings import MonitoringSettings


def register(services: Services) -> Module:
    reporter: list[asyncio.Task[None]] = []

    async def started(_app: App) -> None:
        await mark_started(services)
        reporter.append(asyncio.create_task(report_forever(services), name="errors-report"))

    async def stopped(_app: App) -> None:
        await cancel_and_wait(reporter, what="errors report")

    services.on_start.append(started)
    services.on_stop.append(stopped)
    port = services.settings.http_port
    if port is not None:
        from bot.modules.monitoring.http import HealthServer  # aiohttp only with HTTP_PORT

        server = HealthServer(services, port)
        services.on_start.append(server.start)
        services.on_stop.append(server.stop)
    return Module("monitoring", jobs=SPECS, settings=MonitoringSettings)


__all__ = ["register"]
