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

from bot.core.kernel.breaker import CircuitBreaker
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
    """Copies of the announcement by chat, the admin's preview left out."""
    body, messages = announcement(text), h.sandbox.world.messages
    return Counter(m.chat_id for m in messages if m.text == body and m.chat_id != ADMIN)


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
        await h.broadcast(ADMIN, "Outage test")
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


_TIMELINE: dict[int, list[str]] = {}  # id of an observed breaker -> what happened, in order


class _ObservedBreaker(CircuitBreaker):
    """The shared Redis breaker, noting each probe it allows while open and each failure."""

    __slots__ = ()

    def allow(self) -> bool:
        allowed = super().allow()
        if allowed and self.degraded:
            _TIMELINE.setdefault(id(self), []).append("probe")
        return allowed

    def failed(self, error: BaseException) -> None:
        if self.degraded:
            _TIMELINE.setdefault(id(self), []).append("probe failed")
        super().failed(error)


def _waited_for_a_probe(events: list[str]) -> bool:
    """Whether a probe both began and gave up between a message and its reply."""
    begun = False
    for event in events:
        begun = begun or event == "probe"
        if begun and event == "probe failed":
            return True
    return False


async def test_hung_redis_holds_replies_for_a_timeout_at_most(
    harness_factory: Callable[..., Any], redis_server: RedisServer
) -> None:
    """Redis frozen (SIGSTOP, no answers, no resets): replies keep coming, and after the
    first none waits for a probe of Redis to give up (each waits its 1 s timeout) although
    Redis is probed meanwhile: between a /help and its reply no probe begins and fails
    (an order of events, not a time limit)."""
    h: Harness = await harness_factory(redis_url=redis_server.url, redis_retry_seconds=RETRY)
    await settle(h)
    breaker = h.services.redis_breaker
    assert breaker is not None and redis_server.process is not None
    breaker.__class__ = _ObservedBreaker  # the same object, its probes noted
    timeline = _TIMELINE.setdefault(id(breaker), [])
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        assert "help" in (await h.reply(5, "/help", timeout=60)).lower()
        during: list[list[str]] = []
        for user_id in range(6, 12):
            before = len(timeline)
            assert "help" in (await h.reply(user_id, "/help", timeout=60)).lower()
            during.append(timeline[before:])
            await asyncio.sleep(RETRY / 2)
        assert timeline.count("probe") >= 2, timeline  # Redis was probed meanwhile
        assert not any(_waited_for_a_probe(events) for events in during), during
    finally:
        redis_server.process.kill()
