"""The database's disk-full state against a real database: a write refused for lack of space
(SQLite: ``PRAGMA max_page_count`` reached; PostgreSQL: SQLSTATE 53100 raised by a trigger
on ``users``, the fault injected in the server) starts one episode, however many writes
fail; reads go on; a probe write ends it once there is room, leaving nothing behind.
The episode's start and end are each one log line and one call of each listener."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from structlog.testing import capture_logs

from bot.core.kernel import Database
from bot.core.people.users import User
from bot.core.telegram.outage import database_unreachable
from tests.conftest import on_postgres

NO_LIMIT = 1_000_000_000


class Fault:
    """A full disk made in the database itself, and taken away."""

    def __init__(self, db: Database) -> None:
        self.db, self.limit = db, NO_LIMIT
        if not on_postgres():
            event.listen(db.engine.sync_engine, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count={self.limit}")
        cursor.close()

    async def fill(self) -> None:
        if on_postgres():
            async with self.db.engine.begin() as conn:
                await conn.execute(
                    text(
                        "CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS "
                        '$$ BEGIN RAISE EXCEPTION \'could not extend file "base/1/2": '
                        "No space left on device' USING ERRCODE = '53100'; END $$"
                    )
                )
                await conn.execute(
                    text(
                        "CREATE TRIGGER test_disk_full BEFORE INSERT ON users "
                        "FOR EACH ROW EXECUTE FUNCTION test_disk_full()"
                    )
                )
            return
        async with self.db.engine.connect() as conn:
            self.limit = int((await conn.execute(text("PRAGMA page_count"))).scalar_one())
        await self.db.engine.dispose()  # every connection from now on has the limit

    async def free(self) -> None:
        if on_postgres():
            async with self.db.engine.begin() as conn:
                await conn.execute(text("DROP TRIGGER test_disk_full ON users"))
                await conn.execute(text("DROP FUNCTION test_disk_full()"))
            return
        self.limit = NO_LIMIT
        await self.db.engine.dispose()


@pytest.fixture
async def fault(db: Database) -> AsyncIterator[Fault]:
    db.disk.every = 3600.0  # no probe of its own during the test: the test probes
    yield Fault(db)


async def _add_user(db: Database, user_id: int, name: str = "") -> None:
    # On SQLite, a row that needs new pages: a name longer than a page (SQLite does not
    # hold it to the column's length; PostgreSQL's trigger refuses any row).
    async with db.session() as session:
        first_name = name or ("x" if on_postgres() else "x" * 5000)
        now = datetime.now(UTC)
        session.add(User(id=user_id, first_name=first_name, created_at=now, last_seen_at=now))


async def _users(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_refused_writes_make_one_episode_that_a_probe_ends(
    db: Database, fault: Fault
) -> None:
    told: list[tuple[bool, float]] = []

    async def listener(full: bool, seconds: float) -> None:
        told.append((full, seconds))

    db.disk.listeners.append(listener)
    await _add_user(db, 1)
    await fault.fill()
    with capture_logs() as logs:
        for user_id in (2, 3, 4):
            with pytest.raises(DBAPIError) as refused:
                await _add_user(db, user_id)
            assert Database.out_of_space(refused.value)
            assert database_unreachable(refused.value)  # an arrival waits for space
        assert "disk full for" in db.disk.describe()
        assert await _users(db) == 1  # reads go on
        if not on_postgres():
            assert not await db.disk.probe()  # still no room: still full
        await fault.free()
        assert await db.disk.probe()
        assert db.disk.describe() == "ok"
        await db.disk.close()  # the listeners' tasks have run (or are ended)
    events = [entry["event"] for entry in logs if entry["log_level"] in ("error", "warning")]
    assert events == [
        "database disk full: writes are refused, reads still answered; probing for space",
        "database accepts writes again",
    ], logs
    await _add_user(db, 5)
    assert await _users(db) == 2
    async with db.engine.connect() as conn:
        if on_postgres():
            query = "SELECT tablename FROM pg_tables WHERE tablename LIKE 'companion_disk%'"
            assert (await conn.execute(text(query))).all() == []
        else:
            query = "SELECT name FROM sqlite_master WHERE name LIKE 'companion_disk%'"
            assert (await conn.execute(text(query))).all() == []
            assert (await conn.execute(text("PRAGMA integrity_check"))).scalar_one() == "ok"


async def test_listeners_hear_the_start_and_the_end_once(db: Database, fault: Fault) -> None:
    told: list[bool] = []
    heard = asyncio.Event()

    async def listener(full: bool, _seconds: float) -> None:
        told.append(full)
        heard.set()

    db.disk.listeners.append(listener)
    await fault.fill()
    for user_id in (1, 2):
        with pytest.raises(DBAPIError):
            await _add_user(db, user_id)
    async with asyncio.timeout(10):
        await heard.wait()
    heard.clear()
    await fault.free()
    assert await db.disk.probe()
    async with asyncio.timeout(10):
        await heard.wait()
    assert told == [True, False]


async def test_other_errors_are_not_a_full_disk(db: Database) -> None:
    """A duplicate key is not a full disk, even when a value of the statement says so."""
    await _add_user(db, 1, "database or disk is full")
    with pytest.raises(IntegrityError) as duplicate:
        await _add_user(db, 1, "could not extend file: no space left on device")
    assert not Database.out_of_space(duplicate.value)
    assert not db.disk.full


def test_what_drivers_say_when_the_disk_is_full() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (b BLOB)")
    (pages,) = connection.execute("PRAGMA page_count").fetchone()
    connection.execute(f"PRAGMA max_page_count={pages}")
    with pytest.raises(sqlite3.OperationalError) as sqlite_full:
        connection.execute("INSERT INTO t VALUES (zeroblob(100000))")
    assert Database.out_of_space(sqlite_full.value)

    class PgError(Exception):  # what SQLAlchemy's asyncpg adapter raises: the SQLSTATE on it
        sqlstate = "53100"

    assert Database.out_of_space(PgError("could not extend file"))
    assert Database.out_of_space(OSError(28, "No space left on device"))
    assert not Database.out_of_space(sqlite3.OperationalError("database is locked"))
    assert not Database.out_of_space(None)
