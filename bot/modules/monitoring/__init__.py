"""Monitoring: incidents for stuck jobs, missed runs, a stalled outbox and 429/5xx bursts;
the optional /healthz and /metrics endpoint."""

from __future__ import annotations

from bot.core.context import App, Services
from bot.modules.monitoring.jobchecks import mark_started
from bot.modules.monitoring.jobs import SPECS


def register(app: App, services: Services) -> None:
    for spec in SPECS:
        services.jobs.add(spec)

    async def started(_app: App) -> None:
        await mark_started(services)

    services.on_start.append(started)
    port = services.settings.http_port
    if port is not None:
        from bot.modules.monitoring.http import HealthServer  # aiohttp only with HTTP_PORT

        server = HealthServer(services, port)
        services.on_start.append(server.start)
        services.on_stop.append(server.stop)


__all__ = ["register"]
