"""Counting an update's committed writes: what decides whether it may be handled again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.kernel import Database
from bot.core.kernel.commits import committed, counting_commits


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}")
    async with database.session() as session:
        await session.execute(text("CREATE TABLE t (x INTEGER)"))
    return database


async def test_only_committed_writes_count(db: Database) -> None:
    """Reads commit nothing; a write rolled back by an error counts nothing; a committed
    write counts one; outside a count nothing is counted."""
    try:
        with counting_commits():
            async with db.session() as session:
                await session.execute(text("SELECT x FROM t"))
            assert committed() == 0
            with pytest.raises(ZeroDivisionError):
                async with db.session() as session:
                    await session.execute(text("INSERT INTO t VALUES (1)"))
                    raise ZeroDivisionError
            assert committed() == 0
            async with db.session() as session:
                await session.execute(text("INSERT INTO t VALUES (2)"))
            assert committed() == 1
        assert committed() == 0
    finally:
        await db.dispose()
