"""The rate limiter's lanes, 429 handling, pass-through endpoints and eviction (in memory)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter

from bot.core.ratelimit import CompanionRateLimiter, MemoryBackend, RatePolicy, Window

POLICY = RatePolicy(
    total=Window(2, 0.3), private=Window(50, 1.0), group=Window(20, 60.0), paid=Window(100, 1.0)
)


def _limiter(policy: RatePolicy = POLICY) -> CompanionRateLimiter:
    return CompanionRateLimiter(policy, MemoryBackend())


async def _send(
    limiter: CompanionRateLimiter, log: list[Any], name: str, chat_id: int = 1, **rl: Any
) -> Any:
    async def call() -> dict[str, Any]:
        log.append((name, time.monotonic()))
        return {"ok": name}

    return await limiter.process_request(
        call, (), {}, "sendMessage", {"chat_id": chat_id}, rl or None
    )


async def test_interactive_requests_overtake_waiting_bulk() -> None:
    """Replies queued after many bulk sends still go out before the waiting bulk ones."""
    limiter = _limiter()
    await limiter.initialize()
    log: list[Any] = []
    bulk = [
        asyncio.create_task(_send(limiter, log, f"b{i}", i + 10, lane="bulk")) for i in range(8)
    ]
    await asyncio.sleep(0.05)
    replies = [asyncio.create_task(_send(limiter, log, f"r{i}", 100 + i)) for i in range(2)]
    await asyncio.gather(*bulk, *replies)
    await limiter.shutdown()
    order = [name for name, _ in log]
    assert order[0] == "b0"  # bulk may go while no reply waits
    assert {"r0", "r1"} <= set(order[:4])  # then replies before the six bulk still waiting


async def test_global_window_is_respected() -> None:
    """No more than ``limit`` sends start in any window of ``period`` seconds."""
    limiter = _limiter()
    log: list[Any] = []
    await asyncio.gather(*(_send(limiter, log, f"m{i}", i + 1) for i in range(8)))
    await limiter.shutdown()
    stamps = sorted(t for _, t in log)
    assert all(stamps[i + 2] - stamps[i] >= 0.3 for i in range(len(stamps) - 2))


async def test_429_closes_the_scope_and_is_retried() -> None:
    """A 429 is never handed to the caller: the request is retried after retry_after."""
    limiter = _limiter()
    calls: list[float] = []

    async def flaky() -> dict[str, Any]:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RetryAfter(timedelta(seconds=0.4))
        return {"ok": True}

    result = await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 5}, None)
    await limiter.shutdown()
    assert result == {"ok": True}
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.4


async def test_non_sending_endpoints_pass_through() -> None:
    """answerCallbackQuery is not delayed even while the global window is full: with every
    window a minute long, it is answered while a send waits for the window."""
    minute = Window(1, 60.0)
    limiter = _limiter(RatePolicy(minute, minute, minute, minute))
    await _send(limiter, [], "fill", 1)
    waiting = asyncio.create_task(_send(limiter, [], "waits", 2))

    async def answer() -> bool:
        return True

    async with asyncio.timeout(30):  # a hang guard, shorter than the window
        assert await limiter.process_request(answer, (), {}, "answerCallbackQuery", {}, None)
    assert not waiting.done()
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await limiter.shutdown()


async def test_idle_chat_state_is_evicted() -> None:
    """After a window passes, the state of thousands of chats is dropped."""
    backend = MemoryBackend()
    limiter = CompanionRateLimiter(
        RatePolicy(Window(10_000, 0.2), Window(3, 0.2), Window(3, 0.2), Window(10_000, 0.2)),
        backend,
    )
    await asyncio.gather(*(_send(limiter, [], "x", chat) for chat in range(1, 3001)))
    assert len(backend) > 1000
    await asyncio.sleep(0.3)
    await _send(limiter, [], "last", 99_999)
    await limiter.shutdown()
    assert len(backend) <= 3


async def test_shutdown_stops_the_dispatcher_even_as_it_is_woken() -> None:
    """A shutdown in the same instant as a wake-up still ends the dispatcher (a wake-up must
    not swallow the cancellation and leave shutdown waiting forever)."""
    limiter = _limiter(
        RatePolicy(Window(1, 60.0), Window(1, 60.0), Window(1, 60.0), Window(1, 60.0))
    )
    await _send(limiter, [], "fill", 1)
    blocked = asyncio.create_task(_send(limiter, [], "blocked", 2))
    await asyncio.sleep(0.05)  # the dispatcher now waits for the window, or a wake-up
    limiter._wake.set()
    try:
        await asyncio.wait_for(limiter.shutdown(), 2)
    finally:
        blocked.cancel()
        await asyncio.gather(blocked, return_exceptions=True)
