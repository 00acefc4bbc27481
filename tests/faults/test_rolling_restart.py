"""A rolling restart mid-broadcast: three real processes share a broadcast at Telegram's
limits; each in turn gets SIGTERM and, once it exited, a successor is started. Each stop is
short (it hands back what is not on the wire and waits only for sends in flight), and every
user gets the message exactly once: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.sandbox import SandboxServer
from tests.conftest import database_url, upgrade_fresh
from tests.helpers.outbox import all_recorded, doubled, queue, start_process
from tests.helpers.processes import kill, stop

AUDIENCE = range(73_000, 73_360)
REPLICAS = 3
GRACE = 30.0  # OUTBOX_STOP_GRACE_SECONDS here: no stop may need it


@pytest.mark.timeout(420)  # six process start-ups in a row on a busy machine
async def test_a_rolling_restart_mid_broadcast_loses_and_doubles_nothing(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    url = database_url(tmp_path)
    await upgrade_fresh(url)
    await queue(url, AUDIENCE, sandbox=sandbox)
    world = sandbox.world
    settings = {"OUTBOX_STOP_GRACE_SECONDS": str(GRACE)}
    replicas = [await start_process(tmp_path, sandbox, url, **settings) for _ in range(REPLICAS)]
    stops: list[float] = []
    try:
        await world.wait_until(lambda: len(world.messages) >= 30, timeout=120)
        for index in range(REPLICAS):
            before = len(world.messages)
            asked = time.monotonic()
            replicas[index].terminate()
            async with asyncio.timeout(GRACE + 30):  # a hang guard; the asserts below test
                assert await replicas[index].wait() == 0
            stops.append(time.monotonic() - asked)
            replicas[index] = await start_process(tmp_path, sandbox, url, **settings)
            # the broadcast goes on between restarts (the others keep sending)
            await world.wait_until(lambda before=before: len(world.messages) > before + 10, 120)
        await world.wait_until(lambda: all(world.to(u) for u in AUDIENCE), timeout=180)
        await all_recorded(url, timeout=60)
    finally:
        for process in replicas:
            await stop(process)
            await kill(process)
    print("stops after SIGTERM:", ", ".join(f"{s:.1f} s" for s in stops))
    assert all(took < GRACE * 2 / 3 for took in stops), stops  # none waited out its grace
    assert [u for u in AUDIENCE if not world.to(u)] == []
    assert doubled(sandbox, AUDIENCE) == 0
