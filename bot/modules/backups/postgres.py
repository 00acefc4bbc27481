"""PostgreSQL: ``pg_dump`` of one exported snapshot (the rows counted in the same snapshot),
and its restore through ``pg_restore`` and ``psql`` in a single transaction.

The backup opens a REPEATABLE READ transaction, exports its snapshot, counts every table in
it and runs ``pg_dump --snapshot``: the dump and the manifest's counts describe the same
instant while the bot goes on writing. The restore turns the dump into SQL, adds a check of
every table's rows, and runs it all with ``psql --single-transaction``: a mismatch or an
error rolls everything back, and the target is as it was.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bot.core.kernel import ascii_int
from bot.modules.backups.files import BackupError

TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"


def client(program: str, folder: Path | None) -> str:
    """The path of ``program`` (pg_dump, pg_restore, psql): in ``folder`` when set, else on
    PATH, else in the newest ``/usr/lib/postgresql/*/bin``."""
    if folder is not None:
        candidates = [folder / program]
    else:
        found = shutil.which(program)
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
        candidates = ([Path(found)] if found else []) + [Path(v) / program for v in versions]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    raise BackupError(f"{program} not found (set BACKUPS__PG_BIN to PostgreSQL's bin folder)")


def _version(path: str) -> int:
    return ascii_int(Path(path).parent.name, 0, 10_000) or 0


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq address of ``url`` (no password in it: a command line is visible to every
    user of the machine) and the environment that carries the password."""
    parsed: URL = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = parsed.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False), env


async def _run(args: list[str], env: dict[str, str], stdin: bytes | None = None) -> bytes:
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
    )
    out, err = await process.communicate(stdin)
    if process.returncode:
        lines = err.decode(errors="replace").strip().splitlines() or ["no message"]
        raise BackupError(f"{Path(args[0]).name} failed: {lines[-1]}")
    return out


async def counts(conn: AsyncConnection) -> tuple[dict[str, int], tuple[str, ...]]:
    """Rows per table of the current schema, and what ``alembic_version`` records."""
    names = [str(n) for n in (await conn.execute(text(TABLES))).scalars()]
    tables = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        rows: int = (await conn.execute(text(f"SELECT count(*) FROM {quoted}"))).scalar_one()
        tables[name] = rows
    revisions: tuple[str, ...] = ()
    if "alembic_version" in tables:
        found = await conn.execute(text("SELECT version_num FROM alembic_version"))
        revisions = tuple(sorted(str(r) for r in found.scalars()))
    return tables, revisions


async def dump(
    url: str, out: Path, bin_folder: Path | None
) -> tuple[dict[str, int], tuple[str, ...]]:
    """``pg_dump`` (custom format, compressed) of one snapshot into ``out``; the rows per
    table and the revisions of that same snapshot."""
    pg_dump = client("pg_dump", bin_folder)
    address, env = libpq(url)
    engine = create_async_engine(url, isolation_level="REPEATABLE READ")
    try:
        async with engine.connect() as conn:
            snapshot = str((await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one())
            tables, revisions = await counts(conn)
            args = [pg_dump, "--format=custom", "--compress=6", "--no-owner", "--no-privileges"]
            await _run([*args, f"--snapshot={snapshot}", f"--file={out}", address], env)
            await conn.rollback()
    finally:
        await engine.dispose()
    return tables, revisions


async def state(url: str) -> tuple[dict[str, int], tuple[str, ...]]:
    """Rows per table and revisions of the database at ``url``."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await counts(conn)
    finally:
        await engine.dispose()


def _check(table: str, rows: int) -> str:
    quoted = '"' + table.replace('"', '""') + '"'
    literal = table.replace("'", "''")
    return (
        f"DO $$ BEGIN IF (SELECT count(*) FROM public.{quoted}) <> {rows} THEN "
        f"RAISE EXCEPTION 'rows of {literal} differ from the manifest ({rows})'; END IF; END $$;\n"
    )


async def restore(
    data: Path, url: str, tables: dict[str, int], *, replace: bool, bin_folder: Path | None
) -> None:
    """Restore the dump ``data`` into ``url`` and check every table's rows against
    ``tables``, in one transaction (``replace``: the schema's current tables go first)."""
    address, env = libpq(url)
    listed = await _run([client("pg_restore", bin_folder), "--list", str(data)], env)
    if not listed.strip():
        raise BackupError(f"{data.name} holds nothing to restore")
    script = await _run(
        [client("pg_restore", bin_folder), "--no-owner", "--no-privileges", "--file=-", str(data)],
        env,
    )
    head = b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n" if replace else b""
    checks = "".join(_check(name, rows) for name, rows in sorted(tables.items())).encode()
    psql = client("psql", bin_folder)
    args = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"]
    await _run([*args, "-d", address], env, stdin=head + script + checks)
