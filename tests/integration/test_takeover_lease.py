"""The polling lease is cheap to hold and to watch: a renewal is one statement, a standby
reads the lease only once it may have run out, and takes it at the first look after."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from bot.core.cluster.lease import Holder, LeaseKeeper
from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings


def _counting(db: Database) -> list[str]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    return statements


async def test_renewal_is_one_statement_and_a_standby_waits_without_reading(
    migrated: Settings,
) -> None:
    """The holder renews with one UPDATE; a standby on another host reads the lease once,
    then steps without a query until the expiry it read, and takes the lease at its first
    step after it (the holder stopped renewing)."""
    db = Database(migrated.database_url)
    try:
        statements = _counting(db)
        leader = LeaseKeeper(db, "updates", 1.5, Holder("host-a.invalid", 1, "1", "a"))
        standby = LeaseKeeper(db, "updates", 1.5, Holder("host-b.invalid", 1, "1", "b"))
        assert await leader.acquire() is True
        statements.clear()
        assert await leader.acquire() is True
        assert [s for s in statements if s not in ("BEGIN", "COMMIT")] == ["UPDATE"]
        assert await leader.step() is True  # renewed just now: no query
        assert await standby.step() is False
        statements.clear()
        for _ in range(5):
            assert await standby.step() is False
        assert [s for s in statements if s not in ("BEGIN", "COMMIT")] == []
        for _ in range(600):  # stepped as a poller does; a hang guard of 30 s (it runs out in 1.5)
            if await standby.step():
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the standby never took the lease")
        assert await leader.acquire() is False
        assert await standby.holder_of() == str(standby.holder)
    finally:
        await db.dispose()
