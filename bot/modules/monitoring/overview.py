"""The console's Overview: health as ``/healthz`` sees it, the cluster's instances, Redis,
the send lanes and the outbox, the send rate against its limit, the last hour's 429s and
errors, and the updates waiting. Read on every poll of the page (a few small queries)."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.core.cluster import InstanceRow, LeaseKeeper
from bot.core.context import App, Services
from bot.core.delivery import OutboxMessage, OutboxStatus
from bot.core.ratelimit import BULK, GLOBAL, INTERACTIVE, CompanionRateLimiter
from bot.modules.monitoring.http import health
from bot.modules.monitoring.window import HourWindow


async def overview(app: App, services: Services, window: HourWindow | None) -> dict[str, Any]:
    """Everything the Overview page shows, as JSON."""
    status, body = await health(app)
    too_many, errors, seconds = window.last_hour() if window else (0, 0, 0.0)
    return {
        "at": services.clock.now().isoformat(),
        "health": {**body, "code": status},
        "instances": await instances(services),
        "redis": redis_state(services),
        "lanes": lanes(services),
        "outbox": await outbox(services),
        "rate": rate(services),
        "last_hour": {"too_many_requests": too_many, "errors": errors, "seconds": round(seconds)},
        "updates_waiting": updates_waiting(app),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat()


async def instances(services: Services) -> list[dict[str, Any]]:
    """Each live or recently seen process: the polling leader, standbys, or webhook replicas."""
    settings = services.settings
    holder = None
    if not settings.webhook_url:
        keeper = LeaseKeeper(services.db, "updates", settings.polling_lease_seconds)
        holder = await keeper.holder_of()
    leader = tuple(holder.rsplit(":", 3)[:2]) if holder else None
    async with services.db.session() as session:
        rows = (
            await session.execute(select(InstanceRow).order_by(InstanceRow.started_at))
        ).scalars()
        found = [(row.id, row.host, row.pid, row.started_at, row.heartbeat_at) for row in rows]
    here = (socket.gethostname(), os.getpid())
    return [
        {
            "id": id_,
            "host": host,
            "pid": pid,
            "started_at": _iso(started),
            "heartbeat_at": _iso(beat),
            "role": "webhook"
            if settings.webhook_url
            else ("leader" if leader == (host, str(pid)) else "standby"),
            "this": (host, pid) == here,
        }
        for id_, host, pid, started, beat in found
    ]


def redis_state(services: Services) -> dict[str, Any]:
    breaker = services.redis_breaker
    if breaker is None:
        return {"state": "off", "detail": None}
    return {"state": "degraded" if breaker.degraded else "ok", "detail": breaker.describe()}


def _limiter(services: Services) -> CompanionRateLimiter | None:
    limiter = getattr(services.bot, "rate_limiter", None)
    return limiter if isinstance(limiter, CompanionRateLimiter) else None


def lanes(services: Services) -> dict[str, int]:
    """Sends waiting in the limiter, per lane (interactive replies go first)."""
    limiter = _limiter(services)
    if limiter is None:
        return {INTERACTIVE: 0, BULK: 0}
    return {INTERACTIVE: limiter.waiting(INTERACTIVE), BULK: limiter.waiting(BULK)}


async def outbox(services: Services) -> dict[str, Any]:
    """Pending outbox rows by category, and how many of them are due now."""
    pending = OutboxMessage.status == OutboxStatus.PENDING
    now = services.clock.now()
    by_category = (
        select(OutboxMessage.category, func.count()).where(pending).group_by(OutboxMessage.category)
    )
    due = select(func.count()).where(pending, OutboxMessage.next_attempt_at <= now)
    async with services.db.session() as session:
        categories = {str(c): int(n) for c, n in (await session.execute(by_category)).all()}
        due_now = int(await session.scalar(due) or 0)
    return {"pending": sum(categories.values()), "due": due_now, "by_category": categories}


def rate(services: Services) -> dict[str, float]:
    """The global send rate the limiter admits now (lowered after a 429) and its limit."""
    limit = services.settings.rate_global_per_second
    limiter = _limiter(services)
    effective = limiter.adaptive.rate(GLOBAL, limit) if limiter else limit
    return {"effective": round(effective, 2), "limit": limit}


def updates_waiting(app: App) -> dict[str, int]:
    """Updates taken from Telegram and not yet handled: queued for the handlers, being
    handled now, and the chats they belong to."""
    processor: Any = app.update_processor
    return {
        "queued": app.update_queue.qsize(),
        "handling": int(getattr(processor, "current_concurrent_updates", 0)),
        "chats": int(getattr(processor, "active_chats", 0)),
    }
