"""/stats for admins, and the /healthz and /metrics endpoint of the running bot."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.core.delivery import Priority
from bot.core.kernel.db import Database
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.factories import queue_message
from tests.helpers.servers import free_port


async def _get(port: int, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


async def test_stats_answers_admins_and_refuses_others(harness: Harness) -> None:
    """/stats shows the figures to an admin and nothing to anyone else."""
    await harness.reply(5, "/start")
    text = await harness.reply(ADMIN, "/stats")
    assert text.startswith("Stats for ") and "Users: 1" in text and "Outbox backlog: 0" in text
    assert "admins only" in await harness.reply(5, "/stats")


async def test_healthz_turns_503_when_the_database_is_gone(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """200 while polling with a live database; 503 naming the database once it is unreachable."""
    port = free_port()
    harness: Harness = await harness_factory(http_port=port)
    status, _, body = await _get(port, "/healthz")
    assert (status, body) == (200, '{"status": "ok", "reasons": []}')

    services = harness.services
    live = services.db
    services.db = Database(f"sqlite+aiosqlite:///{tmp_path}")  # a folder is not a database
    try:
        status, _, body = await _get(port, "/healthz")
    finally:
        await services.db.dispose()
        services.db = live
    assert status == 503
    assert "database does not answer" in body


async def test_metrics_parse_and_report_outbox_depth(harness_factory: Callable[..., Any]) -> None:
    """/metrics is valid Prometheus text; the outbox depth gauge is read on each scrape."""
    port = free_port()
    harness: Harness = await harness_factory(http_port=port)
    services = harness.services
    later = services.clock.now().replace(year=2100)
    alert = {"category": "alert", "priority": Priority.ALERT, "user_id": None}
    await queue_message(services, "later", ADMIN, text="x", not_before=later, **alert)
    services.metrics.too_many_requests.labels("global").inc()

    status, content_type, body = await _get(port, "/metrics")

    assert status == 200 and content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body)}
    assert families["companion_outbox_depth"].samples[0].value == 1
    assert families["companion_telegram_429"].samples[0].value == 1
    assert "companion_job_runs" in families and "companion_messages" in families
    instance = f"{socket.gethostname()}:{os.getpid()}"  # which process of a cluster
    samples = [s for f in families.values() for s in f.samples]
    assert samples and all(s.labels["instance"] == instance for s in samples)


async def test_metrics_count_the_published_events_by_type(
    harness_factory: Callable[..., Any],
) -> None:
    """Every event published on the bus is counted by type in /metrics (the consumer of
    the events no module subscribes to): a first /start is one UserRegistered."""
    port = free_port()
    harness: Harness = await harness_factory(http_port=port)
    await harness.reply(5, "/start")

    _status, _, body = await _get(port, "/metrics")

    families = {f.name: f for f in text_string_to_metric_families(body)}
    samples = families["companion_events"].samples
    counted = {s.labels["type"]: s.value for s in samples if s.name.endswith("_total")}
    assert counted.get("UserRegistered") == 1


async def test_operations_jobs_run_through_runjob(harness_factory: Callable[..., Any]) -> None:
    """/runjob runs cleanup and quick stats through the runner; /stats then shows them."""
    harness: Harness = await harness_factory(**UNPACED)
    harness.sandbox.set_limits(FloodLimits(private=None))  # five replies in a row
    expected = {"cleanup.daily": "removed: job runs ", "analytics.quick_stats": " users, backlog "}
    for job, fragment in expected.items():
        _started, finished = await harness.say(ADMIN, f"/runjob {job}", replies=2)
        assert (finished.text or "").startswith(f"{job} finished: succeeded in ")
        assert fragment in (finished.text or "")
    assert "Users: 0" in await harness.reply(ADMIN, "/stats")
