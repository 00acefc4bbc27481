"""The learned rates (decrease on a 429, recovery while sends succeed), the attribution of a
429 to a scope, and the pacing of bulk sends, on the in-memory backend."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.core.kernel.metrics import Metrics
from bot.core.ratelimit import CompanionRateLimiter, MemoryBackend, RatePolicy, Scope, Window
from bot.core.ratelimit.adaptive import FLOOR, AdaptiveRates
from bot.core.ratelimit.limiter import INTERACTIVE
from tests.helpers.clocks import eventually

pytestmark = pytest.mark.own_database  # no database: the PostgreSQL run would repeat it as is

GLOBAL_30 = Scope("global", Window(30, 1.0))
POLICY = RatePolicy(
    total=Window(30, 1.0), private=Window(3, 3.0), group=Window(20, 60.0), paid=Window(100, 1.0)
)


def test_a_429_halves_the_window_and_a_burst_of_them_halves_it_once() -> None:
    """One decrease per burst of 429s: sends admitted before the decrease do not count."""
    rates = AdaptiveRates()
    admitted = time.monotonic()
    assert rates.decrease(GLOBAL_30, admitted)
    assert not rates.decrease(GLOBAL_30, admitted)
    assert rates.effective(GLOBAL_30).window == Window(15, 1.0)
    assert rates.decrease(GLOBAL_30, time.monotonic())
    assert rates.effective(GLOBAL_30).window == Window(7, 1.0)


def test_rate_recovers_fast_then_slowly_near_the_rate_of_the_429() -> None:
    """After a 429 at 30/s, successes bring the rate back quickly to ~22, then slowly."""
    rates = AdaptiveRates()
    rates.decrease(GLOBAL_30, time.monotonic())
    for _ in range(40):  # about two seconds of sends at 15-22/s
        rates.succeeded(GLOBAL_30)
    assert 20 <= rates.rate("global", 30) < 22.5  # 3/s more every second
    for _ in range(120):  # about five more seconds
        rates.succeeded(GLOBAL_30)
    assert 22.5 <= rates.rate("global", 30) < 23  # 0.05/s more every second


def test_a_chat_back_at_its_configured_rate_is_forgotten() -> None:
    """Per-chat state exists only while the chat's rate is below its ceiling."""
    rates = AdaptiveRates()
    chat = Scope("private:5", Window(3, 3.0))
    rates.decrease(chat, time.monotonic())
    assert rates.lowest("private", 1.0) == 0.5
    for _ in range(100):
        rates.succeeded(chat)
    assert rates.effective(chat) is chat
    assert rates.lowest("private", 1.0) == 1.0


def test_learned_rate_stays_between_floor_and_ceiling() -> None:
    """Whatever the sequence of 429s and successes, the rate stays in [floor, ceiling]."""
    rng = random.Random(10)
    rates = AdaptiveRates()
    for _ in range(5000):
        if rng.random() < rng.choice((0.01, 0.2, 0.9)):
            rates.decrease(GLOBAL_30, time.monotonic())
        else:
            rates.succeeded(GLOBAL_30)
        rate = rates.rate("global", 30)
        assert 30 * FLOOR - 1e-9 <= rate <= 30
        assert 1 <= rates.effective(GLOBAL_30).window.limit <= 30


async def _send(limiter: CompanionRateLimiter, chat_id: int, fail_first: bool) -> None:
    calls = 0

    async def call() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if fail_first and calls == 1:
            raise RetryAfter(timedelta(seconds=0.2))
        return {"ok": True}

    await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": chat_id}, None)


async def test_429_to_a_fresh_chat_lowers_the_global_rate() -> None:
    """A chat's first send cannot break the chat's limit: its 429 is the global one."""
    metrics = Metrics()
    limiter = CompanionRateLimiter(POLICY, MemoryBackend(), metrics)
    await _send(limiter, 7, fail_first=True)
    await limiter.shutdown()
    assert limiter.adaptive.rate("global", 30) < 30
    assert limiter.adaptive.lowest("private", 1.0) == 1.0
    assert metrics.registry.get_sample_value("companion_ratelimit_rate", {"scope": "global"}) < 30
    assert metrics.registry.get_sample_value("companion_telegram_429_total", {"scope": "global"})


async def test_429_to_a_busy_chat_lowers_that_chat_only() -> None:
    """A 429 right after another send to the same chat is the chat's limit."""
    limiter = CompanionRateLimiter(POLICY, MemoryBackend())
    await _send(limiter, 8, fail_first=False)
    await _send(limiter, 8, fail_first=True)
    await limiter.shutdown()
    assert limiter.adaptive.rate("global", 30) == 30
    assert limiter.adaptive.lowest("private", 1.0) < 1.0


async def test_bulk_sends_are_spaced_out_not_burst() -> None:
    """Bulk sends are admitted about period/limit apart, not all at once."""
    policy = RatePolicy(Window(10, 1.0), Window(50, 1.0), Window(20, 60.0), Window(100, 1.0))
    limiter = CompanionRateLimiter(policy, MemoryBackend())
    stamps: list[float] = []

    async def bulk(chat_id: int) -> None:
        async def call() -> bool:
            stamps.append(time.monotonic())
            return True

        await limiter.process_request(
            call, (), {}, "sendMessage", {"chat_id": chat_id}, {"lane": "bulk"}
        )

    await asyncio.gather(*(bulk(i + 1) for i in range(5)))
    await limiter.shutdown()
    assert max(stamps) - min(stamps) >= 4 * 0.09  # a window of 10 would let all 5 go at once


async def test_a_long_429_to_an_idle_chat_closes_only_that_chat() -> None:
    """A 429 asking for a long pause is the chat's (a global pause that long stops everyone):
    once it is handled, the backend refuses that chat for about 30 s and admits another chat
    at once (its verdicts, not the time a send took, so a slow machine cannot decide)."""
    limiter = CompanionRateLimiter(POLICY, MemoryBackend())
    calls = 0

    async def call() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RetryAfter(timedelta(seconds=30))
        return {"ok": True}

    long_wait = asyncio.create_task(
        limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 12}, None)
    )

    async def retry_waiting() -> bool:  # the 429 was handled and the send waits to retry
        return calls == 1 and limiter.waiting(INTERACTIVE) == 1

    await eventually(retry_waiting, timeout=60)
    held = await limiter.backend.acquire(POLICY.scopes({"chat_id": 12}), "probe-12")
    other = await limiter.backend.acquire(POLICY.scopes({"chat_id": 13}), "probe-13")
    assert held.scope is not None and held.scope.key == "private:12" and held.wait > 20
    assert other.scope is None  # the global scope and another chat are open
    await limiter.backend.release(POLICY.scopes({"chat_id": 13}), "probe-13")
    await asyncio.wait_for(_send(limiter, 13, fail_first=False), timeout=60)  # a hang guard
    assert limiter.adaptive.rate("global", 30) == 30 and not long_wait.done()
    long_wait.cancel()
    await asyncio.gather(long_wait, return_exceptions=True)
    await limiter.shutdown()


async def test_a_retried_send_does_not_make_its_own_chat_busy() -> None:
    """Two 429s for one message to a fresh chat both count for the global scope."""
    limiter = CompanionRateLimiter(POLICY, MemoryBackend())
    calls = 0

    async def call() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise RetryAfter(timedelta(seconds=0.1))
        return {"ok": True}

    await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 14}, None)
    await limiter.shutdown()
    assert calls == 3
    assert limiter.adaptive.lowest("private", 1.0) == 1.0
    assert limiter.adaptive.rate("global", 30) < 30
