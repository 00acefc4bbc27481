"""kill -9 while missions.sweep queues the morning's missions, then restart: none skipped."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.core.delivery import OutboxMessage
from bot.core.jobs.models import Installation
from bot.core.kernel.migrate import upgrade
from bot.core.people.user_times import UserSchedule
from bot.core.people.users import User
from bot.core.people.zones import format_offset
from bot.modules.missions.models import MissionAssignment
from bot.sandbox import SandboxServer
from bot.sandbox.flood import FloodLimits
from tests.helpers.owned import opened
from tests.helpers.processes import kill_after, start_bot, stop

pytestmark = pytest.mark.own_database  # the killed bot runs on a SQLite file of its own

AUDIENCE = range(40_000, 40_700)  # more than one of the sweep's batches


async def _start_bot(tmp_path: Path, base_url: str, url: str) -> asyncio.subprocess.Process:
    return await start_bot(
        tmp_path,
        base_url,
        url,
        RATE_GLOBAL_PER_SECOND="1000",
        JOBS__MISSIONS_SWEEP__SCHEDULE="every 2s",
        JOBS__MISSIONS_SWEEP__TIMEOUT="4",
    )


async def _prepare(url: str) -> None:
    """Users in a zone where it is about noon, their missions due a minute ago, and a bot
    that has run before (so the start-up catch-up runs the sweep at once)."""
    now = datetime.now(UTC)
    zone = format_offset(timedelta(hours=(12 - now.hour + 11) % 24 - 11))
    async with opened(url) as db, db.session() as session:
        await session.execute(
            insert(User),
            [
                {
                    "id": u,
                    "first_name": "U",
                    "reachable": True,
                    "timezone": zone,
                    "created_at": now - timedelta(days=1),
                    "last_seen_at": now,
                }
                for u in AUDIENCE
            ],
        )
        await session.execute(
            insert(UserSchedule),
            [
                {
                    "user_id": u,
                    "kind": "mission",
                    "minute": None,
                    "due_at": now - timedelta(minutes=1),
                }
                for u in AUDIENCE
            ],
        )
        await session.execute(insert(Installation).values(id=1, started_at=now - timedelta(days=1)))


async def test_kill_9_mid_sweep_skips_nobody(tmp_path: Path) -> None:
    """SIGKILL once the first missions are out; after a restart every user has exactly one
    mission assignment and one outbox row, and every one of them receives it."""
    sandbox = SandboxServer(limits=FloodLimits.lifted())
    await sandbox.start()
    url = f"sqlite+aiosqlite:///{tmp_path}/sweep.sqlite3"
    try:
        await asyncio.to_thread(upgrade, url)
        await _prepare(url)
        world = sandbox.world
        for user_id in AUDIENCE:
            world.user(user_id)
        first = await _start_bot(tmp_path, sandbox.base_url, url)
        await kill_after(first, world.wait_until(lambda: len(world.messages) >= 1, timeout=60))
        second = await _start_bot(tmp_path, sandbox.base_url, url)
        try:
            received = lambda: {m.chat_id for m in world.messages}  # noqa: E731
            await world.wait_until(lambda: received() >= set(AUDIENCE), timeout=90)
        finally:
            await stop(second)
    finally:
        await sandbox.stop()
    async with opened(url) as db, db.session() as session:
        assigned = await session.scalar(select(func.count()).select_from(MissionAssignment))
        rows = Counter(await session.scalars(select(OutboxMessage.user_id)))
    assert assigned == len(AUDIENCE)
    assert set(rows) == set(AUDIENCE) and set(rows.values()) == {1}
