"""Redis outages degrade the bot, never stop it: a real redis-server is killed (SIGKILL) and
restarted on the same port while the real bot answers users and sends a broadcast."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
import structlog

from bot.modules.broadcast.service import announcement
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness, harness_factory, settle
from tests.helpers.factories import register_users
from tests.helpers.servers import RedisServer, free_port

__all__ = ["harness_factory"]  # the e2e fixture, used here
pytestmark = pytest.mark.redis
RETRY = 0.5  # REDIS_RETRY_SECONDS in these tests (5 by default)


async def _healthz(port: int) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, json.loads(await response.text())


async def _wait_health(port: int, redis: str, timeout: float = 15) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            status, body = await _healthz(port)
            if body.get("redis") == redis:
                assert status == 200, body
                return body
            await asyncio.sleep(0.1)


def _received(h: Harness, text: str) -> Counter[int]:
    return Counter(m.chat_id for m in h.sandbox.world.messages if m.text == announcement(text))


async def test_redis_killed_mid_broadcast_degrades_and_recovers(
    harness_factory: Callable[..., Any], redis_server: RedisServer
) -> None:
    """Redis SIGKILLed mid-broadcast: replies and bulk keep flowing, nothing doubles,
    /healthz says degraded then ok, and the outage costs two log lines, not hundreds."""
    http = free_port()
    h: Harness = await harness_factory(
        redis_url=redis_server.url, http_port=http, redis_retry_seconds=RETRY
    )
    await settle(h)
    audience = range(50_000, 50_090)
    await register_users(h.services, audience, world=h.sandbox.world)
    assert (await _wait_health(http, "ok"))["status"] == "ok"
    with structlog.testing.capture_logs() as logs:
        await h.say(ADMIN, "/broadcast Outage test")
        await h.wait(lambda: len(_received(h, "Outage test")) >= 20, timeout=20)
        await redis_server.kill()
        assert "help" in (await h.reply(2, "/help", timeout=5)).lower()
        body = await _wait_health(http, "degraded")
        assert body["status"] == "degraded" and "redis" in body["degraded"][0]
        await h.wait(lambda: len(_received(h, "Outage test")) == len(audience), timeout=30)
        await redis_server.start()
        assert (await _wait_health(http, "ok"))["status"] == "ok"
        assert "help" in (await h.reply(3, "/help", timeout=5)).lower()
    assert _received(h, "Outage test") == Counter(audience)  # each once
    noisy = [e for e in logs if e["log_level"] in ("warning", "error", "critical")]
    assert [e["event"] for e in noisy if "redis" in e["event"]] == [
        "redis unreachable: using this process's memory",
        "redis answers again: shared backend in use",
    ]
    assert len(noisy) <= 5, noisy
    sample = h.services.metrics.registry.get_sample_value
    assert sample("companion_redis_degraded") == 0
    assert (sample("companion_redis_degraded_seconds_total") or 0) > 0


async def test_bot_starts_and_answers_with_redis_unreachable(
    harness_factory: Callable[..., Any],
) -> None:
    """REDIS_URL pointing at nothing: the bot starts, answers, and /healthz says why."""
    http = free_port()
    h: Harness = await harness_factory(
        redis_url=f"redis://127.0.0.1:{free_port()}/0", http_port=http
    )
    assert "help" in (await h.reply(4, "/help", timeout=5)).lower()
    body = await _wait_health(http, "degraded")
    assert body["status"] == "degraded" and "Connect" in body["degraded"][0]


async def test_hung_redis_holds_replies_for_a_timeout_at_most(
    harness_factory: Callable[..., Any], redis_server: RedisServer
) -> None:
    """Redis frozen (SIGSTOP, no answers, no resets): replies keep coming, the first within
    the client's timeout, the next ones at once although Redis is probed meanwhile."""
    h: Harness = await harness_factory(redis_url=redis_server.url, redis_retry_seconds=RETRY)
    await settle(h)
    assert redis_server.process is not None
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        loop = asyncio.get_running_loop()
        assert "help" in (await h.reply(5, "/help", timeout=10)).lower()
        waits = []
        for user_id in range(6, 12):
            started = loop.time()
            assert "help" in (await h.reply(user_id, "/help", timeout=10)).lower()
            waits.append(loop.time() - started)
            await asyncio.sleep(RETRY / 2)
        assert max(waits) < 0.8, waits  # the probes (each waits 1 s for Redis) block nobody
    finally:
        redis_server.process.kill()
