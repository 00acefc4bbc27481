"""The database lease behind leader polling: one holder, renewals, clean hand-over, and
take-over from a holder that expired or is provably dead on this host."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import datetime

from sqlalchemy import event, select

from bot.core.cluster.instances import Instance
from bot.core.cluster.lease import Holder, Lease, LeaseKeeper
from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings


def _holder(pid: int, start: str, nonce: str) -> Holder:
    return Holder(socket.gethostname(), pid, start, nonce)


async def test_one_holder_until_it_lets_go(migrated: Settings) -> None:
    """A second keeper cannot take a live lease; it can once the first releases it."""
    db = Database(migrated.database_url)
    try:
        me = Holder.this_process()
        first = LeaseKeeper(db, "updates", 30, _holder(me.pid, me.start, "a"))
        second = LeaseKeeper(db, "updates", 30, _holder(me.pid, me.start, "b"))
        assert await first.acquire() is True
        assert await first.acquire() is True  # renewal
        assert await second.acquire() is False
        await first.release()
        assert await second.acquire() is True
        assert await first.acquire() is False
    finally:
        await db.dispose()


async def test_expired_lease_is_taken_over(migrated: Settings) -> None:
    """A holder on another host that stopped renewing loses the lease when it runs out."""
    db = Database(migrated.database_url)
    try:
        away = LeaseKeeper(db, "updates", 1, Holder("elsewhere", 1, "1", "x"))
        here = LeaseKeeper(db, "updates", 1)
        assert await away.acquire() is True
        assert await here.acquire() is False
        await asyncio.sleep(1.1)
        assert await here.acquire() is True
    finally:
        await db.dispose()


async def test_dead_holder_on_this_host_is_taken_over_at_once(migrated: Settings) -> None:
    """A crashed process on this machine (its pid gone, or reused) does not hold the lease
    for its time to live: a restarted bot takes it at once."""
    db = Database(migrated.database_url)
    try:
        child = await asyncio.create_subprocess_exec("true")
        await child.wait()  # a pid that no longer runs
        dead = LeaseKeeper(db, "updates", 300, _holder(child.pid, "12345", "x"))
        assert await dead.acquire() is True
        assert await LeaseKeeper(db, "updates", 300).acquire() is True
        reused = LeaseKeeper(db, "other", 300, _holder(os.getpid(), "1", "y"))  # pid reused
        assert await reused.acquire() is True
        assert await LeaseKeeper(db, "other", 300).acquire() is True
    finally:
        await db.dispose()


async def test_a_lease_riding_the_heartbeat_costs_no_transaction_of_its_own(
    db: Database,
) -> None:
    """Riding the instance heartbeat, the holder's lease is renewed in the heartbeat's own
    transaction and a standby learns the new expiry there too: between heartbeats neither
    opens a transaction; a late heartbeat makes the holder renew by itself; a lease taken
    by another process is noticed at the next heartbeat."""
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    me = Holder.this_process()
    beats = [Instance(db, heartbeat=10, stale=30) for _ in range(2)]
    for instance in beats:
        await instance.start()  # registered; the background beat is 10 s away
    holder = LeaseKeeper(db, "updates", 60, _holder(me.pid, me.start, "a"))
    standby = LeaseKeeper(db, "updates", 60, _holder(me.pid, me.start, "b"))
    try:
        assert holder.ride(beats[0]) and standby.ride(beats[1])
        assert await holder.acquire() is True
        assert await standby.step() is False
        first = await _expiry(db)

        assert holder.renewed_at is not None
        holder.renewed_at -= 20  # as if 20 s passed: a step alone would renew now
        before = len(commits)
        await beats[0].beat()
        await beats[1].beat()
        assert await holder.step() is True
        assert await standby.step() is False
        assert len(commits) - before == 2  # the two heartbeats, nothing else
        assert await _expiry(db) > first

        holder.renewed_at -= 20  # the heartbeat is late: the holder renews by itself
        before = len(commits)
        assert await holder.step() is True
        assert len(commits) - before == 1

        holder.unride()
        await holder.release()
        assert await standby.acquire() is True  # another process holds it now
        holder.ride(beats[0])
        holder.renewed_at = 0.0  # the holder still believes it holds the lease
        await beats[0].beat()
        assert holder.renewed_at is None
        assert await holder.step() is False
    finally:
        holder.unride()
        standby.unride()
        for instance in beats:
            await instance.stop()


async def test_a_heartbeat_too_slow_for_the_lease_is_not_ridden(db: Database) -> None:
    instance = Instance(db, heartbeat=2, stale=10)
    keeper = LeaseKeeper(db, "updates", 3)
    assert keeper.ride(instance) is False
    assert instance.on_beat == [] and keeper.renew_after == keeper.every


async def _expiry(db: Database) -> datetime:
    async with db.session() as session:
        value = await session.scalar(select(Lease.expires_at).where(Lease.name == "updates"))
    assert value is not None
    return value
