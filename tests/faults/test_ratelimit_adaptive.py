"""The limiter learns a lower global rate than configured: with the sandbox at 10/s and the
bot at 30/s, 429s stop after the first seconds and replies keep their lane."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.sandbox import FloodLimits
from bot.sandbox.flood import SlidingWindow
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness, harness_factory, settle
from tests.helpers.factories import register_users

__all__ = ["harness_factory"]  # the e2e fixture, used here

AUDIENCE = range(30_000, 30_075)  # about 10 s of sending at 10/s, with the replies
ASKERS = range(40_000, 40_040)  # each asks /help once (their own chat's window stays open)
LEARN = 7.0  # seconds the limiter may take to learn the enforced rate


async def _ask_help(h: Harness, latencies: list[tuple[float, float]], stop: asyncio.Event) -> None:
    """Users ask /help one after another while the broadcast runs: (asked at, waited)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    for user_id in ASKERS:
        if stop.is_set():
            return
        started = loop.time()
        await h.say(user_id, "/help", timeout=15)
        latencies.append((started - began, loop.time() - started))
        await asyncio.sleep(0.35)


async def _count_429s(h: Harness, timeline: list[tuple[float, int]], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not stop.is_set():
        timeline.append((loop.time() - started, h.sandbox.too_many_requests))
        await asyncio.sleep(0.05)


def _after(timeline: list[tuple[float, int]], seconds: float) -> int:
    """429s counted after the first ``seconds`` of the broadcast."""
    before = max((count for at, count in timeline if at <= seconds), default=0)
    return timeline[-1][1] - before


async def test_lower_enforced_global_rate_is_learned(harness_factory: Callable[..., Any]) -> None:
    """Server at 10/s, bot at 30/s: no 429 after the first seconds, replies within 1 s."""
    h: Harness = await harness_factory()
    await settle(h)
    await register_users(h.services, AUDIENCE, world=h.sandbox.world)
    for user_id in ASKERS:
        h.sandbox.world.user(user_id)
    h.sandbox.set_limits(FloodLimits(total=SlidingWindow(10, 1.0)))
    stop = asyncio.Event()
    latencies: list[tuple[float, float]] = []
    timeline: list[tuple[float, int]] = []
    counter = asyncio.create_task(_count_429s(h, timeline, stop))
    status = (await h.say(ADMIN, "/broadcast Learn the limit"))[0]
    asker = asyncio.create_task(_ask_help(h, latencies, stop))
    await h.wait(lambda: "Broadcast finished" in (status.text or ""), timeout=60)
    stop.set()
    await asyncio.gather(counter, asker)
    waits = sorted(wait for _, wait in latencies)
    learned = sorted(wait for at, wait in latencies if at >= LEARN)
    print(
        f"429s total {timeline[-1][1]}, after {LEARN:.0f} s {_after(timeline, LEARN)}; "
        f"replies {len(waits)}: p50 {waits[len(waits) // 2]:.3f} s, max {waits[-1]:.3f} s; "
        f"after {LEARN:.0f} s: {len(learned)}, max {max(learned, default=0):.3f} s"
    )
    assert _after(timeline, LEARN) == 0
    assert len(learned) >= 10 and learned[-1] < 1.0
