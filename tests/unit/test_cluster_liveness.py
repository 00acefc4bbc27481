"""The one liveness primitive (bot/core/cluster/liveness.py) under the polling lease and the
instance heartbeat."""

from __future__ import annotations

import asyncio
import time

from bot.core.cluster import Liveness


def test_trust_lasts_valid_for_after_a_renewal_and_ends_when_lost() -> None:
    liveness = Liveness("t", period=1.0, valid_for=5.0)
    assert not liveness.fresh and not liveness.holding and liveness.remaining() == 0
    at = time.monotonic()
    liveness.renewed(at=at)
    remaining, since = liveness.remaining(), time.monotonic() - at
    assert liveness.fresh and liveness.holding and 5.0 - since <= remaining <= 5.0
    liveness.renewed(at=time.monotonic() - 6.0)  # a renewal that started long ago
    assert not liveness.fresh and liveness.holding  # still held, no longer trusted
    liveness.lost()
    assert not liveness.holding and liveness.remaining() == 0


async def test_until_fresh_returns_at_the_next_renewal() -> None:
    liveness = Liveness("t", period=1.0, valid_for=5.0)
    waiting = asyncio.create_task(liveness.until_fresh())
    await asyncio.sleep(0.02)
    assert not waiting.done()
    liveness.renewed()
    await asyncio.wait_for(waiting, 30)  # a hang guard


async def test_renewals_run_on_the_period_until_stopped() -> None:
    liveness = Liveness("t", period=0.02, valid_for=1.0)
    calls: list[float] = []

    async def renew() -> None:
        calls.append(time.monotonic())
        liveness.renewed()

    liveness.start(renew)
    await asyncio.sleep(0.15)
    await liveness.stop()
    count = len(calls)
    assert count >= 3 and liveness.fresh
    await asyncio.sleep(0.06)
    assert len(calls) == count  # stopped: no renewal after
