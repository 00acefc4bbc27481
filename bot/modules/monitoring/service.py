"""Health checks and incidents: each check names the problems it sees now; an incident opens
(admins alerted) the first time a problem is seen and closes (all-clear) when it is gone.

Checks compare with the previous run (backlog size, error counters); that
state lives in the cache, so it survives a restart with Redis.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core.alerts import alert_admins
from bot.core.context import Services
from bot.core.delivery import pending_count
from bot.core.kernel import get_logger
from bot.core.people import _, duration, ngettext
from bot.modules.monitoring.models import Incident
from bot.modules.monitoring.settings import MonitoringSettings

log = get_logger(__name__)

STATE_KEY = "monitoring:state"
# Telegram errors that say something about a request, not about Telegram's health.
CLIENT_ERRORS = frozenset({"bad_request", "forbidden", "blocked", "chat_migrated", "migrated"})

State = dict[str, Any]
Findings = dict[str, str]  # incident key -> what is wrong, in a sentence
Check = Callable[[Services, datetime, State], Awaitable[Findings]]


async def check_outbox(services: Services, now: datetime, state: State) -> Findings:
    """Due rows waiting longer than the stall threshold while the backlog does not shrink."""
    minutes = services.settings.of(MonitoringSettings).monitoring.outbox_stall_minutes
    async with services.db.session() as session:
        waiting = await pending_count(session, due_before=now - timedelta(minutes=minutes))
    previous = state.get("outbox_waiting")
    state["outbox_waiting"] = waiting
    if waiting and previous is not None and waiting >= previous:
        text = ngettext(
            "Outbox not draining: {count} message due for over {minutes} min.",
            "Outbox not draining: {count} messages due for over {minutes} min.",
            waiting,
        )
        return {"outbox-stalled": text.format(count=waiting, minutes=minutes)}
    return {}


def counter_total(metric: Any, skip: frozenset[str] = frozenset()) -> float:
    """Sum of a labelled counter's ``_total`` samples, except those whose label is in ``skip``."""
    return sum(
        float(sample.value)
        for family in metric.collect()
        for sample in family.samples
        if sample.name.endswith("_total") and not skip.intersection(sample.labels.values())
    )


ERRORS_KEY = "monitoring:telegram_errors"  # the cluster's 429/5xx answers, every process's
REPORT_EVERY = 15.0  # seconds between two processes' reports of their errors


async def report_errors(services: Services) -> float:
    """Add this process's 429/5xx answers since its last report to the shared total (in the
    cache: Redis for a cluster); the shared total. Every process reports every
    REPORT_EVERY seconds, and the one running ``monitoring.health`` just before its check,
    so the check sees the cluster's figure."""
    metrics = services.metrics
    mine = counter_total(metrics.too_many_requests) + counter_total(
        metrics.telegram_errors, CLIENT_ERRORS
    )
    delta, metrics.errors_reported = mine - metrics.errors_reported, mine
    return await services.cache.add(ERRORS_KEY, delta)


async def report_forever(services: Services) -> None:
    while True:
        await asyncio.sleep(REPORT_EVERY)
        try:
            await report_errors(services)
        except Exception as exc:  # the cache is away: the next report carries the delta
            log.warning("errors not reported to the cluster total", error=str(exc)[:200])


async def check_errors(services: Services, now: datetime, state: State) -> Findings:
    """More 429 and server-side errors since the previous check than the threshold allows,
    counted over every process of the cluster."""
    total = await report_errors(services)
    previous = state.get("telegram_errors")
    state["telegram_errors"] = total
    limit = services.settings.of(MonitoringSettings).monitoring.error_rate_per_check
    if previous is not None and total - previous > limit:
        text = _("Telegram errors rising: {count} 429/5xx answers since the last check.")
        return {"telegram-errors": text.format(count=f"{total - previous:.0f}")}
    return {}


async def load_state(services: Services) -> State:
    raw = await services.cache.get(STATE_KEY)
    try:
        state: State = json.loads(raw) if raw else {}
    except ValueError:
        state = {}
    return state


def _resolved(took: timedelta, detail: str) -> str:
    return _("✅ Resolved after {duration}: {detail}").format(
        duration=duration(took), detail=detail
    )


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y%m%dT%H%M%SZ")


async def reconcile(services: Services, findings: Findings, now: datetime) -> tuple[int, int]:
    """Open an incident per new finding, close those no longer seen; (opened, cleared)."""
    opened = cleared = 0
    async with services.db.session() as session:
        rows = await session.scalars(select(Incident).where(Incident.closed_at.is_(None)))
        current = {incident.key: incident for incident in rows}
        for key, text in findings.items():
            if key in current:
                continue
            session.add(Incident(key=key, detail=text, opened_at=now))
            await alert_admins(services, session, f"incident:{key}:{_stamp(now)}:open", f"⚠️ {text}")
            opened += 1
        for key, incident in current.items():
            if key in findings:
                continue
            incident.closed_at = now
            took = timedelta(minutes=(now - incident.opened_at).total_seconds() // 60)
            await alert_admins(
                services,
                session,
                f"incident:{key}:{_stamp(incident.opened_at)}:clear",
                functools.partial(_resolved, took, incident.detail),
            )
            cleared += 1
    return opened, cleared


async def run_checks(services: Services, checks: list[Check]) -> tuple[Findings, int, int]:
    """Every check once, then the incidents brought up to date."""
    now = services.clock.now()
    state = await load_state(services)
    findings: Findings = {}
    for check in checks:
        findings.update(await check(services, now, state))
    await services.cache.set(STATE_KEY, json.dumps(state))
    opened, cleared = await reconcile(services, findings, now)
    if opened or cleared:
        log.warning("incidents changed", opened=opened, cleared=cleared, active=sorted(findings))
    return findings, opened, cleared
