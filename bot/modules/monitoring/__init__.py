"""Monitoring: incidents for stuck jobs, missed runs, a stalled outbox and 429/5xx bursts;
a full disk told to the admins; the optional /healthz and /metrics endpoints and the
console's Overview page."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core.context import App, Services
from bot.core.kernel import cancel_and_wait
from bot.core.module import Module
from bot.core.web import ConsoleRequest, ConsoleRoute
from bot.modules.monitoring.disk import disk_notices
from bot.modules.monitoring.http import ENDPOINTS
from bot.modules.monitoring.jobchecks import mark_started
from bot.modules.monitoring.jobs import SPECS
from bot.modules.monitoring.pages import PAGE
from bot.modules.monitoring.service import report_forever
from bot.modules.monitoring.settings import MonitoringSettings
from bot.modules.monitoring.window import HourWindow


def register(services: Services) -> Module:
    tasks: list[asyncio.Task[None]] = []
    running: list[App] = []
    window = HourWindow(services.metrics) if services.settings.http_port is not None else None

    async def started(app: App) -> None:
        running.append(app)
        notices = disk_notices(app.bot, services.db, services.settings.admin_ids)
        services.db.disk.listeners[:] = [notices]  # the admins hear of a full disk directly
        await mark_started(services)
        tasks.append(asyncio.create_task(report_forever(services), name="errors-report"))
        if window is not None:
            tasks.append(asyncio.create_task(window.run(), name="errors-window"))

    async def stopped(_app: App) -> None:
        await cancel_and_wait(tasks, what="errors report")

    async def overview(request: ConsoleRequest) -> dict[str, Any]:
        from bot.modules.monitoring.overview import overview  # on the first console request

        return await overview(running[-1], request.services, window)

    services.on_start.append(started)
    services.on_stop.append(stopped)
    console = (*ENDPOINTS, PAGE, ConsoleRoute("GET", "overview", overview))
    return Module("monitoring", jobs=SPECS, settings=MonitoringSettings, console=console)


__all__ = ["register"]
