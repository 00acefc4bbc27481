"""Two processes of a new version start at once on a fresh database: one migrates, the
other waits for the migration lock and then finds the database at head (SQLite: a lock
file beside the database; PostgreSQL: an advisory lock)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.kernel.migrate import ROOT, WAITING, applied, migration_lock, recorded_heads
from tests.conftest import database_url, on_postgres
from tests.helpers.processes import cli_env, finish, kill, python_bot

pytestmark = pytest.mark.timeout(300)


@asynccontextmanager
async def _holding_the_lock(url: str) -> AsyncIterator[None]:
    """The migration lock, held by this test as a migrating process would hold it."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection, migration_lock(connection):
            yield
    finally:
        await engine.dispose()


async def _empty_database(tmp_path: Path) -> str:
    """A new database with nothing in it: a SQLite file to be, or a PostgreSQL database
    created empty (dropped after the test)."""
    url = database_url(tmp_path)
    if on_postgres():
        from tests.conftest import _Backend, _pg_recreate

        name = str(make_url(url).database)
        await _pg_recreate(name, template=None)
        _Backend.created.append(name)
    return url


async def _line(stream: asyncio.StreamReader) -> str:
    return (await stream.readline()).decode().strip()


async def test_two_upgrades_at_once_migrate_once(tmp_path: Path) -> None:
    """The test holds the lock while two `db upgrade` processes start: each says it waits.
    Released, they race for it: both exit 0, exactly one created the database, the other
    found it up to date, and the database records the scripts' heads (no "already exists",
    no traceback)."""
    url = await _empty_database(tmp_path)
    env = cli_env(tmp_path, DATABASE_URL=url)
    pipe = asyncio.subprocess.PIPE
    async with _holding_the_lock(url):
        processes = [
            await python_bot("db", "upgrade", cwd=tmp_path, env=env, stdout=pipe, stderr=pipe)
            for _ in range(2)
        ]
        try:
            async with asyncio.timeout(120):  # a hang guard: both wait for the test's lock
                firsts = [await _line(p.stdout) for p in processes if p.stdout]
        except BaseException:
            for process in processes:
                process.kill()
            raise
        assert firsts == [WAITING, WAITING]
        assert await asyncio.to_thread(applied, url) == ()  # nothing ran while held
    results = [await finish(process, 180) for process in processes]
    outs = [out.decode().strip() for out, _ in results]
    errs = [err.decode() for _, err in results]
    assert [p.returncode for p in processes] == [0, 0], errs
    assert sorted(outs) == [
        f"database created at revision {max(recorded_heads())}",
        f"database is up to date (revision {max(recorded_heads())})",
    ], outs
    assert not any("already exists" in e or "Traceback" in e for e in errs), errs
    assert await asyncio.to_thread(applied, url) == recorded_heads()


HOLDER = """
import asyncio, sys
from sqlalchemy.ext.asyncio import create_async_engine
from bot.core.kernel.migrate import migration_lock

async def hold(url):
    engine = create_async_engine(url)
    async with engine.connect() as connection, migration_lock(connection):
        print("held", flush=True)
        await asyncio.Event().wait()

asyncio.run(hold(sys.argv[1]))
"""


async def test_a_killed_migrator_leaves_no_lock_behind(tmp_path: Path) -> None:
    """A process holding the lock is killed with SIGKILL (no clean exit): the next `db
    upgrade` gets the lock and migrates (the kernel drops a dead process's flock; PostgreSQL
    a dead session's advisory lock)."""
    url = await _empty_database(tmp_path)
    pipe = asyncio.subprocess.PIPE
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, url, cwd=ROOT, stdout=pipe
    )
    try:
        assert holder.stdout is not None
        async with asyncio.timeout(120):  # a hang guard
            assert await _line(holder.stdout) == "held"
    finally:
        await kill(holder)
    env = cli_env(tmp_path, DATABASE_URL=url)
    upgrade = await python_bot("db", "upgrade", cwd=tmp_path, env=env, stdout=pipe, stderr=pipe)
    out, err = await finish(upgrade, 180)
    assert upgrade.returncode == 0, err.decode()
    assert out.decode().splitlines()[-1] == f"database created at revision {max(recorded_heads())}"
    assert await asyncio.to_thread(applied, url) == recorded_heads()
