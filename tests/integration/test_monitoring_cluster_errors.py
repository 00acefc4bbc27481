"""The 429/5xx burst check counts the whole cluster: every process adds its answers to one
total in the shared Redis, so the process that runs monitoring.health sees them all."""

from __future__ import annotations

import pytest

from bot.core.kernel.settings import Settings
from bot.modules.monitoring import service
from tests.helpers.operations import build
from tests.helpers.servers import RedisServer

pytestmark = pytest.mark.redis


async def test_errors_of_two_processes_add_up(
    migrated: Settings, redis_server: RedisServer
) -> None:
    """Two processes with 15 errors each against a threshold of 20: the check opens an
    incident although neither process alone passed it."""
    settings = migrated.model_copy(
        update={
            "redis_url": redis_server.url,
            "monitoring": migrated.monitoring.model_copy(update={"error_rate_per_check": 20}),
        }
    )
    (one, clock, _), (two, _, _) = build(settings), build(settings)
    state: service.State = {}
    try:
        assert await service.check_errors(one, clock.now(), state) == {}
        for services in (one, two):
            services.metrics.too_many_requests.labels("global").inc(15)
        await service.report_errors(two)  # the other process's periodic report
        findings = await service.check_errors(one, clock.now(), state)
        assert "30 429/5xx answers" in findings["telegram-errors"]
        assert await service.check_errors(one, clock.now(), state) == {}  # nothing new
    finally:
        for services in (one, two):
            await services.cache.close()
            await services.db.dispose()
