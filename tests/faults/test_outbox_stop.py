"""SIGTERM mid-broadcast: sends in flight finish and are recorded, the rest is given back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from bot.app import build_application
from bot.core.delivery import OutboxMessage, OutboxStatus
from bot.core.kernel.migrate import upgrade
from bot.core.lifecycle import post_init, post_shutdown
from bot.sandbox import SandboxServer
from tests.conftest import make_settings, migrate
from tests.helpers.outbox import doubled, queue, start_process
from tests.helpers.owned import opened
from tests.helpers.processes import stop

AUDIENCE = range(70_000, 70_060)


async def _counts(url: str) -> tuple[int, int]:
    """(rows still claimed by someone, rows sent) in the database."""
    o = OutboxMessage
    async with opened(url) as db, db.session() as session:
        claimed = await session.scalar(select(func.count()).where(o.claimed_by.is_not(None)))
        sent = await session.scalar(select(func.count()).where(o.status == OutboxStatus.SENT))
    return int(claimed or 0), int(sent or 0)


async def test_clean_stop_mid_broadcast_sends_nothing_twice(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """Each send slowed to 0.5 s; SIGTERM after ~15 sends: what was in flight is recorded,
    nothing stays claimed, and a restart sends the rest at once: each user gets exactly one."""
    url = f"sqlite+aiosqlite:///{tmp_path}/stop.sqlite3"
    await asyncio.to_thread(upgrade, url)
    await queue(url, AUDIENCE, sandbox=sandbox)
    sandbox.slow["sendMessage"] = 0.5
    world = sandbox.world
    first = await start_process(tmp_path, sandbox, url)
    try:
        await world.wait_until(lambda: len(world.messages) >= 15, timeout=60)
        await world.wait_until(lambda: sandbox.stats["getUpdates"] > 0, timeout=30)
    finally:
        assert await stop(first) == 0
    stopped_at = len(world.messages)
    claimed, sent = await _counts(url)
    assert stopped_at < len(AUDIENCE)
    assert (claimed, sent) == (0, stopped_at)
    second = await start_process(tmp_path, sandbox, url)
    try:
        await world.wait_until(lambda: all(world.to(u) for u in AUDIENCE), timeout=30)
    finally:
        await stop(second)
    assert doubled(sandbox, AUDIENCE) == 0
    assert await _counts(url) == (0, len(AUDIENCE))


async def test_stop_signal_during_start_up_still_stops_the_sender_gracefully(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """PTB's run_polling skips stop and post_stop when the stop signal comes during start-up
    (before polling): shutdown still stops the sender, records what was sent, gives back
    the rest."""
    settings = make_settings(tmp_path, telegram_api_base_url=sandbox.base_url)
    await migrate(settings.database_url, schema_template)
    url, world = settings.database_url, sandbox.world
    await queue(url, range(71_000, 71_040), sandbox=sandbox)
    sandbox.slow["sendMessage"] = 0.3
    app = build_application(settings)
    await app.initialize()
    try:
        await post_init(app)  # the sender is running; polling never starts
        await world.wait_until(lambda: len(world.messages) >= 5, timeout=30)
    finally:
        await app.shutdown()  # what run_polling does on SIGTERM at this point
        await post_shutdown(app)
    assert await _counts(url) == (0, len(world.messages))
    assert await _charged(url) == 0  # the rest was given back, not failed on a closed client


async def _charged(url: str) -> int:
    """Pending rows that were charged an attempt (a send tried and failed)."""
    o = OutboxMessage
    async with opened(url) as db, db.session() as session:
        query = select(func.count()).where(o.status == OutboxStatus.PENDING, o.attempts > 0)
        charged = await session.scalar(query)
    return int(charged or 0)
