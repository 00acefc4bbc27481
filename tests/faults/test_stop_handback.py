"""A stop as short as it can be: SIGTERM to a real process whose rate limiter holds a long
queue of sends hands every unsent row back at once, in its place in line, and waits only
for the sends on the wire; a second process then delivers the rest, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot.core.delivery import OutboxMessage, OutboxStatus
from bot.core.kernel.migrate import upgrade
from bot.sandbox import SandboxServer
from tests.helpers.outbox import all_recorded, doubled, queue, start_process
from tests.helpers.owned import opened
from tests.helpers.processes import kill, stop

AUDIENCE = range(72_000, 72_150)
GRACE = 30.0  # OUTBOX_STOP_GRACE_SECONDS here: the stop must not need it


async def _rows(url: str) -> dict[int, tuple[str, datetime, str | None]]:
    """Every row: id -> (status, due, holder)."""
    o = OutboxMessage
    async with opened(url) as db, db.session() as session:
        rows = await session.execute(select(o.id, o.status, o.next_attempt_at, o.claimed_by))
    return {row_id: (status, due, holder) for row_id, status, due, holder in rows.all()}


async def test_sigterm_hands_back_the_queue_and_waits_only_for_sends_in_flight(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """2 sends a second allowed and each taking 1 s at the Bot API, 120 rows claimed, 64
    workers waiting in the limiter (half a minute of sends): SIGTERM ends the process well
    inside a 30 s grace (it would wait all of it for the queue); every unsent row is pending,
    unclaimed and due exactly when it was due before; what was sent was recorded; a second
    process sends the rest: each user gets the message exactly once."""
    url = f"sqlite+aiosqlite:///{tmp_path}/handback.sqlite3"
    await asyncio.to_thread(upgrade, url)
    await queue(url, AUDIENCE, sandbox=sandbox)
    due = {row_id: at for row_id, (_, at, _) in (await _rows(url)).items()}
    sandbox.slow["sendMessage"] = 1.0
    world = sandbox.world
    first = await start_process(
        tmp_path,
        sandbox,
        url,
        RATE_GLOBAL_PER_SECOND="2",
        OUTBOX_CLAIM_SECONDS="60",
        OUTBOX_STOP_GRACE_SECONDS=str(GRACE),
    )
    try:
        await world.wait_until(lambda: sandbox.stats["getUpdates"] > 0, timeout=60)
        await world.wait_until(lambda: len(world.messages) >= 4, timeout=60)
        asked = time.monotonic()
        first.terminate()
        async with asyncio.timeout(GRACE + 30):  # a hang guard; the assert below is the test
            assert await first.wait() == 0
        took = time.monotonic() - asked
        print(f"stopped {took:.1f} s after SIGTERM (grace {GRACE:.0f} s)")
    finally:
        await kill(first)
    assert took < GRACE * 2 / 3, f"the stop took {took:.1f} s of a {GRACE:.0f} s grace"
    after = await _rows(url)
    sent = {row_id for row_id, (status, _, _) in after.items() if status == OutboxStatus.SENT}
    unsent = {row_id: row for row_id, row in after.items() if row_id not in sent}
    assert len(sent) == len(world.messages)  # every send on the wire finished and was recorded
    assert unsent and all(holder is None for _, _, holder in unsent.values())
    assert {row_id: at for row_id, (_, at, _) in unsent.items()} == {
        row_id: due[row_id] for row_id in unsent
    }
    assert {status for status, _, _ in unsent.values()} == {OutboxStatus.PENDING}

    sandbox.slow.clear()
    second = await start_process(tmp_path, sandbox, url)
    try:
        await world.wait_until(lambda: all(world.to(u) for u in AUDIENCE), timeout=60)
        await all_recorded(url)
    finally:
        await stop(second)
    assert doubled(sandbox, AUDIENCE) == 0
