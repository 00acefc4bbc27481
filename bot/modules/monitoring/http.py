"""``/healthz`` and ``/metrics`` on the bot's HTTP server (``HTTP_LISTEN:HTTP_PORT``, off
unless the port is set; ``bot/core/web/``).

For a process supervisor or load balancer (``/healthz``: 200 or 503 with the
reasons as JSON) and for Prometheus (``/metrics``, the text format). With ``REDIS_URL``
set, ``/healthz`` also says ``"redis": "ok"`` or ``"degraded"`` (with the reason under
``degraded``): an unreachable Redis degrades the bot (limiter and cache run in memory),
it does not stop it, so the answer stays 200. A database whose disk is full answers
reads but refuses writes: 503, ``"database": "disk full"`` and the reason (for how long,
the driver's words), until a probe write succeeds (``docs/disk-full.md``). Every reason
is redacted (no secret).
The console's Overview shows the same health (:func:`health`).
"""

from __future__ import annotations

import json
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from bot.core.context import App, Services, services_of
from bot.core.delivery import pending_count
from bot.core.kernel import exposition, get_logger, redact
from bot.core.web import HttpReply, HttpRoute

log = get_logger(__name__)


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
    elif services.db.disk.full:
        reasons.append(f"database refuses writes: {services.db.disk.describe()}")
    scheduler: Any = app.job_queue.scheduler if app.job_queue else None
    if scheduler is None or not scheduler.running:
        reasons.append("job scheduler is not running")
    return reasons


async def health(app: App) -> tuple[int, dict[str, Any]]:
    """``/healthz``'s status code and body."""
    services = services_of(app)
    reasons = await problems(app, services)
    reasons = [redact(reason) for reason in reasons]  # an error's text may quote a secret
    body: dict[str, Any] = {"status": "unavailable" if reasons else "ok", "reasons": reasons}
    if services.db.disk.full:
        body["database"] = "disk full"
    breaker = services.redis_breaker
    if breaker is not None:
        body["redis"] = "degraded" if breaker.degraded else "ok"
        if breaker.degraded:
            body["degraded"] = [redact(f"redis {breaker.describe()}")]
            body["status"] = "unavailable" if reasons else "degraded"
    return (503 if reasons else 200), body


async def healthz(app: App) -> HttpReply:
    status, body = await health(app)
    return HttpReply(json.dumps(body), status=status)


async def metrics(app: App) -> HttpReply:
    """Gauges read from the database are refreshed on each scrape."""
    services = services_of(app)
    if services.redis_breaker is not None:
        services.redis_breaker.account()
    try:
        async with services.db.session() as session:
            services.metrics.outbox_depth.set(await pending_count(session))
    except Exception as exc:  # still serve the counters when the database is down
        log.warning("outbox depth not refreshed", error=str(exc))
    return HttpReply(exposition(services.metrics), content_type=CONTENT_TYPE_LATEST)


ENDPOINTS = (HttpRoute("GET", "/healthz", healthz), HttpRoute("GET", "/metrics", metrics))
