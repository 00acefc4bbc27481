"""The database lease behind leader polling: one holder, renewals, clean hand-over, and
take-over from a holder that expired or is provably dead on this host."""

from __future__ import annotations

import asyncio
import os
import socket

from bot.core.cluster.lease import Holder, LeaseKeeper
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
