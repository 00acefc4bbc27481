"""The limiter learns a lower global rate than configured: with the sandbox at 10/s and the
bot at 30/s, 429s stop after the first sends and replies keep their lane."""

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
# Broadcast sends the limiter may take to learn the enforced rate (4 s at 10/s; the last 429
# usually comes near the 25th): the learned rate moves with each 429 and each success, so
# sends, not seconds, measure its progress.
LEARN = 40
# A reply keeps its lane: at most this many broadcast sends (1 s at 10/s) pass while it waits.
PASSING = 10


def _broadcast_sent(h: Harness) -> int:
    audience = set(AUDIENCE)
    return sum(1 for m in h.sandbox.world.messages if m.chat_id in audience)


async def _ask_help(h: Harness, passed: list[tuple[int, int]], stop: asyncio.Event) -> None:
    """Users ask /help one after another while the broadcast runs: (broadcast sends when
    asked, broadcast sends while waiting for the reply)."""
    for user_id in ASKERS:
        if stop.is_set():
            return
        asked = _broadcast_sent(h)
        await h.say(user_id, "/help", timeout=60)  # a hang guard
        passed.append((asked, _broadcast_sent(h) - asked))
        await asyncio.sleep(0.35)


async def _count_429s(h: Harness, timeline: list[tuple[int, int]], stop: asyncio.Event) -> None:
    """(broadcast sends, 429s so far), sampled until the end of the broadcast."""
    while not stop.is_set():
        timeline.append((_broadcast_sent(h), h.sandbox.too_many_requests))
        await asyncio.sleep(0.05)
    timeline.append((_broadcast_sent(h), h.sandbox.too_many_requests))


def _after(timeline: list[tuple[int, int]], sends: int) -> int:
    """429s counted after the first ``sends`` broadcast sends."""
    before = max((count for sent, count in timeline if sent <= sends), default=0)
    return timeline[-1][1] - before


async def test_lower_enforced_global_rate_is_learned(harness_factory: Callable[..., Any]) -> None:
    """Server at 10/s, bot at 30/s: no 429 after the first 40 broadcast sends; after them
    each /help is answered while at most 10 broadcast sends pass (replies keep their lane)."""
    h: Harness = await harness_factory()
    await settle(h)
    await register_users(h.services, AUDIENCE, world=h.sandbox.world)
    for user_id in ASKERS:
        h.sandbox.world.user(user_id)
    h.sandbox.set_limits(FloodLimits(total=SlidingWindow(10, 1.0)))
    stop = asyncio.Event()
    passed: list[tuple[int, int]] = []
    timeline: list[tuple[int, int]] = []
    counter = asyncio.create_task(_count_429s(h, timeline, stop))
    status = await h.broadcast(ADMIN, "Learn the limit")
    asker = asyncio.create_task(_ask_help(h, passed, stop))
    await h.wait(lambda: "Broadcast finished" in (status.text or ""), timeout=120)
    stop.set()
    await asyncio.gather(counter, asker)
    learned = sorted(n for asked, n in passed if asked >= LEARN)
    print(
        f"429s total {timeline[-1][1]}, after {LEARN} sends {_after(timeline, LEARN)}; "
        f"replies {len(passed)}, after {LEARN} sends {len(learned)}: broadcast sends passing "
        f"one {learned}"
    )
    assert _after(timeline, LEARN) == 0
    assert len(learned) >= 5 and learned[-1] <= PASSING
