"""monitoring.health: one alert when an incident opens, one all-clear when it closes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.context import Services
from bot.core.delivery import OutboxMessage
from bot.core.kernel.settings import Settings
from bot.modules.monitoring import jobs
from bot.modules.monitoring.models import Incident
from tests.helpers.operations import build, job_context, queue, set_status


async def _alerts(services: Services) -> list[str]:
    async with services.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage.key)
            .where(OutboxMessage.category == "alert", OutboxMessage.key.like("alert:incident:%"))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def test_stalled_outbox_alerts_once_and_clears_once(migrated: Settings) -> None:
    """Due rows that do not drain open one incident over many checks, then one all-clear."""
    services, clock, bot = build(migrated)
    ctx = lambda: job_context(services, bot, "monitoring.health")  # noqa: E731
    for n in range(3):
        await queue(services, f"stuck:{n}")
    clock.advance(timedelta(minutes=11))
    assert await jobs.health(ctx()) == "healthy"  # first look: nothing to compare with yet
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        summary = await jobs.health(ctx())
    assert "outbox-stalled" in summary
    assert len(await _alerts(services)) == 1

    for n in range(3):
        await set_status(services, f"stuck:{n}", "sent", sent_at=clock.now())
    clock.advance(timedelta(minutes=1))
    assert await jobs.health(ctx()) == "healthy, 1 cleared"
    clock.advance(timedelta(minutes=1))
    assert await jobs.health(ctx()) == "healthy"

    keys = await _alerts(services)
    assert [k.rsplit(":", 2)[-2] for k in keys] == ["open", "clear"]
    assert keys[0].startswith("alert:incident:outbox-stalled:20261121T121200Z:open")
    async with services.db.session() as session:
        incidents = list(await session.scalars(select(Incident)))
    assert [(i.key, i.closed_at is not None) for i in incidents] == [("outbox-stalled", True)]


async def test_draining_outbox_is_not_an_incident(migrated: Settings) -> None:
    """An old backlog that shrinks between checks is work in progress, not a stall."""
    services, clock, bot = build(migrated)
    for n in range(3):
        await queue(services, f"slow:{n}")
    clock.advance(timedelta(minutes=30))
    for n in range(3):
        assert await jobs.health(job_context(services, bot, "monitoring.health")) == "healthy"
        await set_status(services, f"slow:{n}", "sent", sent_at=clock.now())
        clock.advance(timedelta(minutes=1))
    assert await _alerts(services) == []


async def test_burst_of_429_and_5xx_opens_and_clears_an_incident(migrated: Settings) -> None:
    """More 429/5xx than the threshold between two checks alerts; client errors do not count."""
    services, clock, bot = build(
        migrated,
    )
    threshold = migrated.monitoring.error_rate_per_check
    ctx = lambda: job_context(services, bot, "monitoring.health")  # noqa: E731
    await jobs.health(ctx())
    services.metrics.telegram_errors.labels("bad_request").inc(threshold * 5)
    clock.advance(60)
    assert await jobs.health(ctx()) == "healthy"
    services.metrics.too_many_requests.labels("private").inc(threshold)
    services.metrics.telegram_errors.labels("server").inc(1)
    clock.advance(60)
    assert "telegram-errors" in await jobs.health(ctx())
    clock.advance(60)
    assert await jobs.health(ctx()) == "healthy, 1 cleared"
    assert len(await _alerts(services)) == 2
