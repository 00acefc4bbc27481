"""``/healthz`` and ``/metrics`` on 127.0.0.1:``HTTP_PORT`` (off unless the port is set).

For a process supervisor or load balancer (``/healthz``: 200 or 503 with the
reasons as JSON) and for Prometheus (``/metrics``, the text format). With ``REDIS_URL``
set, ``/healthz`` also says ``"redis": "ok"`` or ``"degraded"`` (with the reason under
``degraded``): an unreachable Redis degrades the bot (limiter and cache run in memory),
it does not stop it, so the answer stays 200. Every reason is redacted (no secret).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.core.context import App, Services
from bot.core.delivery import pending_count
from bot.core.kernel import exposition, get_logger, redact

log = get_logger(__name__)

HOST = "127.0.0.1"
SHUTDOWN_GRACE = 5.0


async def problems(app: App, services: Services) -> list[str]:
    """Why the bot is not healthy; empty when it polls, its database answers and jobs run."""
    reasons = []
    intake = services.intake
    if intake is not None and not intake.receiving(app):
        reasons.append(f"not taking updates from Telegram ({intake.role})")
    elif intake is None and app.updater is not None and not app.updater.running:
        reasons.append("not polling Telegram for updates")
    if not app.running:
        reasons.append("application is not running")
    if not await services.db.ping():
        reasons.append("database does not answer")
    scheduler: Any = app.job_queue.scheduler if app.job_queue else None
    if scheduler is None or not scheduler.running:
        reasons.append("job scheduler is not running")
    return reasons


class HealthServer:
    """A tiny aiohttp server, started and stopped with the bot."""

    __slots__ = ("_app", "_runner", "port", "services")

    def __init__(self, services: Services, port: int) -> None:
        self.services, self.port = services, port
        self._runner: web.AppRunner | None = None
        self._app: App | None = None

    async def start(self, app: App) -> None:
        self._app = app
        web_app = web.Application()
        web_app.router.add_get("/healthz", self.healthz)
        web_app.router.add_get("/metrics", self.metrics)
        # A scrape still running at stop gets a few seconds, not aiohttp's default minute.
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, self.port).start()
        log.info("http endpoint listening", url=f"http://{HOST}:{self.port}/healthz")

    async def stop(self, _app: App) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, _request: web.Request) -> web.Response:
        assert self._app is not None
        reasons = await problems(self._app, self.services)
        reasons = [redact(reason) for reason in reasons]  # an error's text may quote a secret
        body: dict[str, Any] = {"status": "unavailable" if reasons else "ok", "reasons": reasons}
        breaker = self.services.redis_breaker
        if breaker is not None:
            body["redis"] = "degraded" if breaker.degraded else "ok"
            if breaker.degraded:
                body["degraded"] = [redact(f"redis {breaker.describe()}")]
                body["status"] = "unavailable" if reasons else "degraded"
        return web.json_response(body, status=503 if reasons else 200)

    async def metrics(self, _request: web.Request) -> web.Response:
        """Gauges read from the database are refreshed on each scrape."""
        metrics = self.services.metrics
        if self.services.redis_breaker is not None:
            self.services.redis_breaker.account()
        try:
            async with self.services.db.session() as session:
                metrics.outbox_depth.set(await pending_count(session))
        except Exception as exc:  # still serve the counters when the database is down
            log.warning("outbox depth not refreshed", error=str(exc))
        body = exposition(metrics)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
