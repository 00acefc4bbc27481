"""kill -9 of a real bot process mid-broadcast: the restart resumes within seconds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.delivery import OutboxMessage, OutboxStatus
from bot.core.kernel.migrate import upgrade
from bot.sandbox import SandboxServer
from tests.helpers.outbox import doubled, queue, start_process
from tests.helpers.owned import opened
from tests.helpers.processes import kill_after, stop

pytestmark = pytest.mark.own_database  # the killed bot runs on a SQLite file of its own

AUDIENCE = range(40_000, 40_150)


async def _claimed(url: str) -> dict[int, datetime]:
    """The chats of the rows still claimed (by the killed process), with the end of each
    one's lease (when another process would take the row without knowing its holder died)."""
    async with opened(url) as db, db.session() as session:
        o = OutboxMessage
        query = select(o.chat_id, o.next_attempt_at).where(
            o.status == OutboxStatus.PENDING, o.claimed_by.is_not(None)
        )
        rows = (await session.execute(query)).all()
    return {chat: (end if end.tzinfo else end.replace(tzinfo=UTC)) for chat, end in rows}


async def _first_poll(sandbox: SandboxServer, before: int, timeout: float = 60) -> float:
    """The loop time at which a getUpdates after ``before`` of them arrived (±0.2 s)."""
    await sandbox.world.wait_until(lambda: sandbox.stats["getUpdates"] > before, timeout)
    return asyncio.get_running_loop().time()


async def test_restart_after_kill_9_resumes_before_the_lease_runs_out(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """With the default 60 s lease, a restart resumes the rows the killed process held: every
    one is sent before its lease would have let anyone take it (the restart knows its holder
    is gone, it does not wait the lease out); that process held about 2 s of sends; nothing
    lost. (How many seconds the takeover takes is a speed figure: `make bench BENCH=faults`.)"""
    url = f"sqlite+aiosqlite:///{tmp_path}/crash.sqlite3"
    await asyncio.to_thread(upgrade, url)
    await queue(url, AUDIENCE, sandbox=sandbox)
    world, loop = sandbox.world, asyncio.get_running_loop()
    first = await start_process(tmp_path, sandbox, url)
    await kill_after(first, world.wait_until(lambda: len(world.messages) >= 40, timeout=60))
    killed_at, polls = len(world.messages), sandbox.stats["getUpdates"]
    stranded = await _claimed(url)
    assert killed_at < len(AUDIENCE)
    assert 0 < len(stranded) <= 80, f"{len(stranded)} rows were held by the killed process"
    sent_at: dict[int, float] = {}
    sent_on: dict[int, datetime] = {}
    world.listeners.append(lambda m: sent_at.setdefault(m.chat_id, loop.time()))
    world.listeners.append(lambda m: sent_on.setdefault(m.chat_id, datetime.now(UTC)))
    restarted = loop.time()
    second = await start_process(tmp_path, sandbox, url)
    try:
        polled = await _first_poll(sandbox, polls)
        await world.wait_until(lambda: all(world.to(u) for u in AUDIENCE), timeout=60)
        await world.wait_until(lambda: stranded.keys() <= sent_at.keys(), timeout=60)
    finally:
        await stop(second)
    resumed = min(sent_at[chat] for chat in stranded) - polled
    all_sent = max(sent_at[chat] for chat in stranded) - polled
    print(
        f"restart -> first send {min(sent_at.values()) - restarted:.2f} s; rows the killed "
        f"process held: first sent {resumed:+.2f} s, all {all_sent:+.2f} s from the first "
        f"getUpdates; held {len(stranded)}; doubled {doubled(sandbox, AUDIENCE)}"
    )
    late = {chat: (sent_on[chat], end) for chat, end in stranded.items() if sent_on[chat] >= end}
    assert not late, f"rows sent only after their lease ran out: {late}"
    # Only what was sent but not yet recorded when the process died can arrive twice: a few
    # hundred milliseconds of sends at 30/s, more on a loaded machine.
    assert doubled(sandbox, AUDIENCE) <= 30
    assert sandbox.too_many_requests == 0
