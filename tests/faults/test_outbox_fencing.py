"""Two senders on one database: a row is held by one owner, fenced by its claim token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.core.cluster import instances
from bot.core.cluster.instances import Instance, InstanceRow
from bot.core.delivery import OutboxMessage, OutboxStatus, claims, holdings
from bot.core.delivery.claims import Outcome
from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings
from bot.sandbox import SandboxServer
from tests.helpers.outbox import OutboxBots, doubled, queue

# Every row queued by a test is due at NOW (a day ahead: the module is imported at
# collection, minutes before its tests run in a full suite), and every heartbeat is stale.
NOW = datetime.now(UTC) + timedelta(days=1)
LEASE = timedelta(seconds=60)


@pytest.fixture
async def outbox_db(migrated: Settings) -> AsyncIterator[Database]:
    """A migrated database with two registered instances, "a" and "b", and one row."""
    db = Database(migrated.database_url)
    await queue(migrated.database_url, [7001])
    async with db.session() as session:
        for name in ("a", "b"):
            session.add(
                InstanceRow(
                    id=name, host="h", pid=1, started_at=NOW, heartbeat_at=datetime.now(UTC)
                )
            )
    yield db
    await db.dispose()


async def _claim(db: Database, owner: str) -> list[claims.Claimed]:
    async with db.session() as session:
        await holdings.release_stale(session, keep=owner, stale_seconds=5)
        return await claims.claim_due(session, now=NOW, limit=10, lease=LEASE, owner=owner)


async def _row(db: Database) -> OutboxMessage:
    async with db.session() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None
    return row


async def _go_stale(db: Database, owner: str) -> None:
    async with db.session() as session:
        await session.execute(
            update(InstanceRow)
            .where(InstanceRow.id == owner)
            .values(heartbeat_at=datetime.now(UTC) - timedelta(seconds=60))
        )


async def test_row_of_a_live_owner_is_not_claimed_even_when_its_lease_ran_out(
    outbox_db: Database,
) -> None:
    """A row leased by a live instance is never claimed by another, however late it is."""
    assert len(await _claim(outbox_db, "a")) == 1
    async with outbox_db.session() as session:
        later = NOW + LEASE * 2
        assert await claims.claim_due(session, now=later, limit=10, lease=LEASE, owner="b") == []


async def test_late_outcome_of_a_lost_claim_changes_nothing(outbox_db: Database) -> None:
    """a's lease is taken over after its heartbeat went stale; b sends and records; a's late
    failure is refused (reported as lost) and the row stays sent; no attempt charged to
    the re-claim."""
    (mine,) = await _claim(outbox_db, "a")
    await _go_stale(outbox_db, "a")
    (theirs,) = await _claim(outbox_db, "b")
    assert theirs.id == mine.id and theirs.attempts == 0 and theirs.token != mine.token
    async with outbox_db.session() as session:
        kept = await claims.record(session, [Outcome(theirs, OutboxStatus.SENT, 7001, NOW, 5)])
    late = Outcome(mine, OutboxStatus.FAILED, 7001, NOW, error="late")
    async with outbox_db.session() as session:
        lost = await claims.record(session, [late])
    assert (kept, lost) == (set(), {mine.id})
    row = await _row(outbox_db)
    assert (row.status, row.message_id, row.attempts, row.claimed_by) == ("sent", 5, 1, None)


async def test_two_bots_with_a_short_lease_and_a_slow_send_send_once(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """Lease 1 s, every send taking 2.5 s, two bots on one SQLite file: each of 12
    messages arrives exactly once (the lease is renewed while the send is slow)."""
    bots = OutboxBots(tmp_path, sandbox, schema_template)
    sandbox.slow["sendMessage"] = 2.5
    audience = list(range(7100, 7112))
    try:
        first = await bots.start(outbox_lease_seconds=1.0)
        await bots.start(outbox_lease_seconds=1.0)
        await queue(first.services.settings.database_url, audience, sandbox=sandbox)
        world = sandbox.world
        await first.wait(lambda: all(world.to(u) for u in audience), timeout=30)
        await _until_all_recorded(first.services.db, len(audience))
    finally:
        await bots.close()
    assert doubled(sandbox, audience) == 0


async def _until_all_recorded(db: Database, count: int, timeout: float = 20) -> None:
    """Every row sent and held by nobody: no sender can still be sending one."""
    async with asyncio.timeout(timeout):
        while True:
            async with db.session() as session:
                rows = (await session.scalars(select(OutboxMessage))).all()
            done = [r for r in rows if r.status == OutboxStatus.SENT and r.claimed_by is None]
            if len(done) == count:
                return
            await asyncio.sleep(0.1)


async def test_instance_presumed_dead_learns_it_and_registers_again(
    outbox_db: Database,
) -> None:
    """When a sibling deleted this instance's row (its heartbeat went stale), the next
    heartbeat reports the loss (its claims are void) and registers under a new id."""
    instance = Instance(outbox_db, heartbeat=60, stale=5)
    lost: list[str] = []

    async def on_lost(owner: str) -> None:
        lost.append(owner)

    instance.on_lost.append(on_lost)
    await instance.start()
    first = instance.id
    async with outbox_db.session() as session:
        assert await instances.forget_stale(session, -60, keep="b") == 2  # a and this one
    await instance.beat()
    assert lost == [first] and instance.id != first and instance.fresh
    async with outbox_db.session() as session:
        assert await session.get(InstanceRow, instance.id) is not None
    await instance.stop()


async def test_rows_of_a_dead_owner_keep_their_place_in_line(
    outbox_db: Database, migrated: Settings
) -> None:
    """The row a dead instance held is released due when it was queued, so it is claimed
    before the rows queued after it (a broadcast's), not behind them all as "due now"."""
    (held,) = await _claim(outbox_db, "a")  # queued first, then held by a
    await queue(migrated.database_url, range(7002, 7012), tag="later")
    await _go_stale(outbox_db, "a")
    first = await _claim_one(outbox_db, "b")
    assert first.id == held.id


async def _claim_one(db: Database, owner: str) -> claims.Claimed:
    async with db.session() as session:
        await holdings.release_stale(session, keep=owner, stale_seconds=5)
        (row,) = await claims.claim_due(session, now=NOW, limit=1, lease=LEASE, owner=owner)
    return row
