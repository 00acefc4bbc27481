"""Apply Alembic migrations from code (CLI ``db upgrade``, ``make run``, tests).

Alembic is imported only where a migration runs: ``python -m bot run`` compares the
database's ``alembic_version`` with the heads of ``migrations/versions`` (read from the
files, without Alembic) and starts the migrating child process only when they differ.

A migration holds the migration lock (:func:`migration_lock`, taken by
``migrations/env.py``) from before it reads the database's revision until it has
committed: two processes starting a new version at once migrate once, the second waits
and then finds the database at head. A database that records a revision these scripts do
not know is newer than this code: nothing migrates it and ``run`` refuses to start on it.

A new database (no table at all) is not migrated by ``db upgrade`` (the command ``make run``
and ``run`` use): it is created from the models, seeded and stamped at head in one
transaction under the same lock (:func:`create_if_new`), one step instead of every script
in turn; ``tests/integration/test_schema_from_models.py`` holds the two ways to the same
schema.
"""

from __future__ import annotations

import ast
import asyncio
import fcntl
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bot.core.kernel.child import child_environment
from bot.core.kernel.db import ensure_sqlite_directory
from bot.core.kernel.logging import get_logger
from bot.core.kernel.settings import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parents[3]
VERSIONS = ROOT / "migrations" / "versions"
# The PostgreSQL advisory lock every migration of this bot holds (any fixed number: it
# reads "Companion" in ASCII, so that another application's locks are unlikely to clash).
LOCK_KEY = 0x436F6D70616E
WAITING = "another process is migrating the database: waiting for it to finish"

log = get_logger("bot.migrate")


class NewerDatabase(ConfigError):
    """The database records a revision that this code's migration scripts do not know: it
    was migrated by a newer version of the bot."""


class Schema(NamedTuple):
    """What ``run`` needs to know of the database before it starts."""

    current: bool  # at the scripts' heads: nothing to migrate
    refusal: str | None  # the line to refuse with (the database is newer than this code)


def alembic_config(database_url: str, on_wait: Callable[[], None] | None = None) -> Config:
    """Alembic's configuration for ``database_url``. ``on_wait`` is called when another
    process holds the migration lock (before waiting for it); after a migration the
    attributes ``before``, ``after`` (the revisions recorded, read under the lock) and
    ``waited`` say what happened."""
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["on_wait"] = on_wait or _log_wait
    return config


def _log_wait() -> None:
    log.warning("migration_waiting", reason=WAITING)


def _say_wait() -> None:
    print(WAITING, flush=True)
    _log_wait()


def upgrade_and_describe(database_url: str, models: Callable[[], MetaData] | None = None) -> str:
    """Upgrade, and say truthfully what happened: created, upgraded from X to Y, up to date
    (read under the migration lock: a process that waited for another's migration finds
    the database up to date). Raises :class:`NewerDatabase` and changes nothing on a
    database newer than this code. With ``models`` (every table's metadata), a new database
    is created from them and stamped (:func:`create_if_new`) instead of migrated."""
    if models is not None and create_if_new(database_url, models, on_wait=_say_wait):
        return f"database created at revision {_show(recorded_heads())}"
    config = alembic_config(database_url, on_wait=_say_wait)
    _upgrade(config, "heads")
    before: tuple[str, ...] = config.attributes["before"]
    after: tuple[str, ...] = config.attributes["after"]
    if not before:
        return f"database created at revision {_show(after)}"
    if before == after:
        return f"database is up to date (revision {_show(after)})"
    return f"database upgraded from revision {_show(before)} to {_show(after)}"


def _show(revisions: tuple[str, ...]) -> str:
    """The newest revision recorded (the migrations are numbered in the order they were
    written; one branch per module may leave several heads, which say nothing to a reader)."""
    return max(revisions) if revisions else "none"


def applied(database_url: str) -> tuple[str, ...]:
    """The revisions recorded in the database (empty for a new database)."""
    return asyncio.run(_applied(database_url))


async def _applied(database_url: str) -> tuple[str, ...]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")):
                return ()
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return tuple(sorted(str(row[0]) for row in rows))
    finally:
        await engine.dispose()


def script_heads(folder: Path = VERSIONS) -> tuple[str, ...]:
    """The heads of the migration scripts: revisions that no script names as its
    ``down_revision``, read from the files' module-level assignments (no import)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in folder.glob("*.py"):
        values = _assignments(path, ("revision", "down_revision"))
        revision, down = values.get("revision"), values.get("down_revision")
        if isinstance(revision, str):
            revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, list | tuple):
            parents.update(str(item) for item in down)
    return tuple(sorted(revisions - parents))


def script_revisions(folder: Path = VERSIONS) -> frozenset[str]:
    """Every revision the migration scripts in ``folder`` define (no import)."""
    found = (_assignments(path, ("revision",)).get("revision") for path in folder.glob("*.py"))
    return frozenset(revision for revision in found if isinstance(revision, str))


def _assignments(path: Path, names: tuple[str, ...]) -> dict[str, object]:
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id in names and value is not None:
            found[target.id] = ast.literal_eval(value)
    return found


def newer_than_code(recorded: tuple[str, ...], folder: Path = VERSIONS) -> str | None:
    """The one line that refuses a database recording revisions the scripts in ``folder``
    do not know (migrated by a newer version); None when the scripts know every one."""
    unknown = tuple(sorted(set(recorded) - script_revisions(folder)))
    if not unknown:
        return None
    return (
        f"the database is at revision {_show(unknown)}, newer than this code "
        f"({_show(script_heads(folder))}): run the newer version, "
        "or restore a backup made for this one"
    )


def schema_state(database_url: str) -> Schema:
    """Whether the database is at the scripts' heads, and whether it is newer than this
    code. A SQLite file that does not exist yet is not opened (opening would create it); a
    database that cannot be read is neither: the migrating child then reports what it finds."""
    database = _sqlite_file(make_url(database_url))
    if database is not None and not database.exists():
        return Schema(current=False, refusal=None)
    try:
        recorded = applied(database_url)
    except Exception:
        return Schema(current=False, refusal=None)
    return Schema(current=recorded == recorded_heads(), refusal=newer_than_code(recorded))


def at_head(database_url: str) -> bool:
    """True when the database records exactly the scripts' heads (nothing to migrate).
    Anything else (a new database, an older one, one that cannot be read) is False: the
    migrating child then runs, and reports what it finds."""
    return schema_state(database_url).current


def recorded_heads(folder: Path = VERSIONS) -> tuple[str, ...]:
    """What ``alembic_version`` holds once every migration ran: the heads, less those a
    later script ``depends_on`` (Alembic records the dependent script instead)."""
    needed: set[str] = set()
    for path in folder.glob("*.py"):
        depends = _assignments(path, ("depends_on",)).get("depends_on")
        if isinstance(depends, str):
            needed.add(depends)
        elif isinstance(depends, list | tuple):
            needed.update(str(item) for item in depends)
    return tuple(head for head in script_heads(folder) if head not in needed)


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite database; None for any other (or an in-memory one)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser()


@asynccontextmanager
async def migration_lock(
    connection: AsyncConnection, on_wait: Callable[[], None] = _log_wait
) -> AsyncIterator[bool]:
    """Hold the migration lock of ``connection``'s database; yields whether it had to wait
    (``on_wait`` is called first) for another process holding it.

    PostgreSQL: the session advisory lock :data:`LOCK_KEY`, taken on ``connection`` (so a
    migrator that dies releases it with its connection). SQLite: an exclusive ``flock`` on
    ``<database>.migrate.lock`` beside the file (released by the kernel when the process
    ends, however it ends). An in-memory database is this process's alone: no lock."""
    url = connection.engine.url
    database = _sqlite_file(url)
    if url.get_backend_name() == "postgresql":
        async with _advisory_lock(connection, on_wait) as waited:
            yield waited
    elif database is not None:
        with _lock_file(database) as fd:
            waited = await _flock(fd, on_wait)
            yield waited
    else:
        yield False


@asynccontextmanager
async def _advisory_lock(
    connection: AsyncConnection, on_wait: Callable[[], None]
) -> AsyncIterator[bool]:
    key = {"key": LOCK_KEY}
    waited = not await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key)
    if waited:
        on_wait()
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
    await connection.commit()  # the lock is the session's: Alembic begins its own transaction
    try:
        yield waited
    finally:
        if not connection.closed and not connection.invalidated:
            await connection.rollback()
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
            await connection.commit()


@contextmanager
def _lock_file(database: Path) -> Iterator[int]:
    """The open lock file beside a SQLite database; closing it releases its ``flock``."""
    fd = os.open(database.with_name(database.name + ".migrate.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield fd
    finally:
        os.close(fd)


async def _flock(fd: int, on_wait: Callable[[], None]) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        on_wait()
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        return True
    return False


def upgrade_in_child(database_url: str) -> int:
    """``db upgrade`` in a short-lived child process, so that Alembic (and Mako) never stay
    in the memory of the long-running bot; the child's exit code. It is given the database
    and how to log, not the rest of the bot's environment (the token stays in the bot)."""
    logging = {k: os.environ[k] for k in ("LOG_LEVEL", "LOG_FORMAT") if k in os.environ}
    env = child_environment({**logging, "DATABASE_URL": database_url})
    return subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env).returncode


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database to the newest schema, under the migration lock; safe to call on
    every start. Raises :class:`NewerDatabase` (changing nothing) on a database newer than
    this code.

    Synchronous (Alembic's async env runs its own event loop): call it before
    the bot's loop starts, or through ``asyncio.to_thread``.
    """
    _upgrade(alembic_config(database_url), revision)


def _upgrade(config: Config, revision: str) -> None:
    from alembic import command

    command.upgrade(config, revision)


def create_if_new(
    database_url: str, models: Callable[[], MetaData], on_wait: Callable[[], None] = _log_wait
) -> bool:
    """A new database (no table at all) is created from the models in one transaction,
    seeded with the rows the migrations insert, and stamped at the scripts' heads, under the
    migration lock: what Alembic's documentation advises for new databases, one step instead
    of every migration in turn, and without loading Alembic. True when it did; False
    (nothing done) for a database that has tables, which the migrations then bring to head.
    Synchronous, like :func:`upgrade`."""
    ensure_sqlite_directory(database_url)
    return asyncio.run(_create_if_new(database_url, on_wait, models))


async def _create_if_new(
    url: str, on_wait: Callable[[], None], models: Callable[[], MetaData]
) -> bool:
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":  # DDL inside the transaction too: all or nothing
        event.listen(engine.sync_engine, "connect", _sqlite_driver_leaves_transactions)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    try:
        async with engine.connect() as connection, migration_lock(connection, on_wait):
            if await connection.run_sync(lambda c: bool(inspect(c).get_table_names())):
                await connection.rollback()
                return False
            await connection.run_sync(_create_seed_stamp, models())
            await connection.commit()
            return True
    finally:
        await engine.dispose()


def _sqlite_driver_leaves_transactions(dbapi_connection: Any, _record: object) -> None:
    """sqlite3 begins a transaction before a DML statement only (a CREATE TABLE would commit
    on its own): the driver is told to leave transactions to ``_sqlite_begin``."""
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _create_seed_stamp(connection: Connection, metadata: MetaData) -> None:
    metadata.create_all(connection)
    _seed_missions(connection, metadata.tables["missions"])
    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version.create(connection)
    heads = recorded_heads()
    connection.execute(version.insert(), [{"version_num": head} for head in heads])
    log.debug("database_created", revisions=heads)


def _seed_missions(connection: Connection, missions: Table) -> None:
    """The rows the migrations insert: the missions catalogue of 0005, with the Ukrainian
    texts 0018 gave it (read from the scripts, so that both ways seed the same rows)."""
    catalogue = _assignments(VERSIONS / "0005_gamification.py", ("CATALOGUE",))["CATALOGUE"]
    ukrainian = _assignments(VERSIONS / "0018_mission_translations.py", ("UKRAINIAN",))
    assert isinstance(catalogue, list) and isinstance(ukrainian["UKRAINIAN"], dict)
    now = datetime.now(UTC)
    rows = []
    for title, description, points, kind in catalogue:
        uk = ukrainian["UKRAINIAN"].get(title)
        texts = {"uk": {"title": uk[0], "description": uk[1]}} if uk else {}
        row = {"title": title, "description": description, "points": points, "kind": kind}
        rows.append({**row, "active": True, "created_at": now, "translations": texts})
    connection.execute(insert(missions), rows)
