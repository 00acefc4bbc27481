"""The database: one async engine, a session factory, and the declarative base.

SQLite (via aiosqlite) by default, PostgreSQL (via asyncpg) by changing
``DATABASE_URL``. Times are stored as naive UTC and read back as aware UTC, so
both backends behave the same.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sqlalchemy import DateTime, MetaData, event, inspect, text
from sqlalchemy.engine import Dialect, ExceptionContext, make_url
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from bot.core.kernel.commits import TrackedSession, note_commit
from bot.core.kernel.logging import get_logger

log = get_logger(__name__)

Row = TypeVar("Row")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime stored as naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table; modules import it from here. A ``Mapped[datetime]``
    column is a :class:`UTCDateTime`."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a file-backed SQLite database if it is missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_reset(dbapi_connection: Any, _record: ConnectionPoolEntry, state: Any) -> None:
    """A connection going back to the pool is rolled back only when a transaction is open:
    after a commit the pool's own rollback is one more hop to aiosqlite's thread for nothing
    (two per job run)."""
    if state.asyncio_safe and _in_transaction(dbapi_connection):
        dbapi_connection.rollback()


def _in_transaction(dbapi_connection: Any) -> bool:
    driver = getattr(dbapi_connection, "_connection", dbapi_connection)  # aiosqlite's adapter
    return bool(getattr(driver, "in_transaction", True))


SQLITE_FULL = 13  # sqlite3's extended code of "database or disk is full"
PG_DISK_FULL = "53100"  # PostgreSQL's SQLSTATE disk_full ("could not extend file")
PROBE_SECONDS = 10.0  # how often a database found full is tried again with a probe write
_FULL_WORDS = ("database or disk is full", "could not extend file", "no space left on device")

DiskListener = Callable[[bool, float], Awaitable[None]]


def disk_full(error: BaseException | None) -> bool:
    """Whether ``error`` (a driver's, or SQLAlchemy's around it) says the database refused a
    write for lack of space: SQLite's SQLITE_FULL, PostgreSQL's 53100, ENOSPC."""
    seen = 0
    while error is not None and seen < 5:  # SQLAlchemy's error, the adapter's, the driver's
        seen += 1
        if (
            isinstance(error, sqlite3.Error)
            and getattr(error, "sqlite_errorcode", 0) == SQLITE_FULL
        ):
            return True
        if getattr(error, "sqlstate", None) == PG_DISK_FULL:
            return True
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        # The driver's words only: SQLAlchemy's own text quotes the statement's parameters,
        # which may be anything a user typed.
        wrapper = isinstance(error, StatementError)
        if not wrapper and any(words in str(error).lower() for words in _FULL_WORDS):
            return True
        error = getattr(error, "orig", None) or error.__cause__
    return False


class DiskFull:
    """The "disk full" state of one process's database: reads still work, writes are refused.

    Entered by the first write that fails for lack of space (every error on the engine
    passes :meth:`failed`); left when a probe write, tried every ``every`` seconds while
    full, succeeds. Each change is one log line and one call of every listener with
    ``(full, seconds)``: ``(True, 0.0)`` once at the start of an episode, ``(False, how
    long it lasted)`` once at its end. Nothing here waits: the probe runs in a task of its
    own, the listeners too."""

    __slots__ = ("_probe", "_tasks", "_watcher", "every", "listeners", "reason", "since")

    def __init__(self, probe: Callable[[], Awaitable[None]], every: float = PROBE_SECONDS):
        self._probe, self.every = probe, every
        self.listeners: list[DiskListener] = []
        self.reason: str | None = None  # the error that started the episode; None: not full
        self.since = 0.0
        self._watcher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def full(self) -> bool:
        return self.reason is not None

    def failed(self, error: BaseException) -> None:
        """A statement failed with ``error``: a write refused for lack of space starts an
        episode (if none is on); any other error changes nothing."""
        if self.reason is not None or not disk_full(error):
            return
        self.reason = " ".join(str(error).split())[:300]
        self.since = time.monotonic()
        log.error(
            "database disk full: writes are refused, reads still answered; probing for space",
            reason=self.reason,
            probe_every=self.every,
        )
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous tool): the state alone is kept
            return
        if self._watcher is None or self._watcher.done():
            self._watcher = self._spawn(self._watch())
        self._tell(True, 0.0)

    def describe(self) -> str:
        """``ok``, or for how long the disk has been full and why, for ``/healthz``."""
        if self.reason is None:
            return "ok"
        return f"disk full for {time.monotonic() - self.since:.0f} s: {self.reason}"

    async def probe(self) -> bool:
        """Try the probe write now; True (and the episode ended) when it succeeded."""
        try:
            await self._probe()
        except Exception as exc:
            if not disk_full(exc):
                log.info("disk probe failed for another reason", error=str(exc)[:200])
            return False
        self._recovered()
        return True

    def _recovered(self) -> None:
        if self.reason is None:
            return
        seconds = time.monotonic() - self.since
        self.reason = None
        log.warning("database accepts writes again", full_seconds=round(seconds, 1))
        self._tell(False, seconds)

    async def _watch(self) -> None:
        while self.reason is not None:
            await asyncio.sleep(self.every)
            if self.reason is not None:
                await self.probe()

    def _tell(self, full: bool, seconds: float) -> None:
        for listener in self.listeners:
            self._spawn(self._call(listener, full, seconds))

    @staticmethod
    async def _call(listener: DiskListener, full: bool, seconds: float) -> None:
        try:
            await listener(full, seconds)
        except Exception:
            log.exception("a disk-full listener failed")

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        # A context of its own: not the log fields (nor the language) of the update whose
        # write happened to fail first.
        loop = asyncio.get_running_loop()
        task = loop.create_task(work, name="database-disk-full", context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Stop probing (and any listener still running): the database is being disposed."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _probe_statements(dialect: str) -> tuple[str, ...]:
    """A write that needs new space and leaves nothing behind: a table created, given a
    row bigger than a page, and dropped, in one transaction (named per probe, so two
    processes probing at once do not meet). SQLite's driver would commit the CREATE on its
    own: the transaction is begun explicitly there."""
    table = f"companion_disk_probe_{secrets.token_hex(4)}"
    begin: tuple[str, ...]
    if dialect == "sqlite":
        begin, column, row = ("BEGIN IMMEDIATE",), "BLOB", "zeroblob(16384)"
    else:
        begin, column, row = (), "TEXT", "repeat(md5(random()::text), 512)"
    return (
        *begin,
        f"CREATE TABLE {table} (b {column})",
        f"INSERT INTO {table} (b) VALUES ({row})",
        f"DROP TABLE {table}",
    )


class Database:
    """Owns the engine and hands out sessions; built by the composition root."""

    __slots__ = ("disk", "engine", "sessions", "url")

    def __init__(self, url: str, *, echo: bool = False) -> None:
        ensure_sqlite_directory(url)
        self.url = url
        # A file has no connection to lose: pinging SQLite only costs four thread hops per
        # checkout (two per job run); a server's connections can drop, so they are pinged.
        parsed = make_url(url)
        sqlite_file = parsed.get_backend_name() == "sqlite"
        pool: dict[str, Any] = {"pool_reset_on_return": None} if sqlite_file else {}
        if parsed.drivername == "sqlite+aiosqlite":
            from bot.core.kernel.sqlite_driver import one_hop_dbapi

            pool["module"] = one_hop_dbapi()
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, pool_pre_ping=not sqlite_file, **pool
        )
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine.pool, "reset", _sqlite_reset)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=TrackedSession
        )
        # Every error on the engine, whoever ran the statement: a write refused for lack of
        # space puts the process in the disk-full state (reads go on; a probe ends it).
        self.disk = DiskFull(self._probe_write)
        event.listen(self.engine.sync_engine, "handle_error", self._on_error)

    def _on_error(self, context: ExceptionContext) -> None:
        self.disk.failed(context.original_exception)

    async def _probe_write(self) -> None:
        async with self.engine.begin() as conn:
            for statement in _probe_statements(self.engine.dialect.name):
                await conn.execute(text(statement))

    @staticmethod
    def out_of_space(error: BaseException | None) -> bool:
        """Whether ``error`` is a write refused for lack of space (:func:`disk_full`)."""
        return disk_full(error)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error. A
        commit that wrote is counted for the update being handled (:mod:`.commits`)."""
        async with self.sessions() as session, session.begin():
            yield session
        note_commit(session.sync_session)

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.disk.close()
        await self.engine.dispose()


def rowcount(result: object) -> int:
    """The number of rows a statement's ``result`` matched (0 when the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)


def dialect_insert(session: AsyncSession, entity: Any) -> Any:
    """An INSERT for ``entity`` that supports ``on_conflict_do_nothing/do_update`` on
    SQLite and PostgreSQL (the building block of idempotent writes)."""
    return insert_for(session.get_bind().dialect.name, entity)


def insert_for(dialect: str, entity: Any) -> Any:
    """:func:`dialect_insert` by dialect name. Only that dialect's module is imported: on
    SQLite, SQLAlchemy's PostgreSQL dialect (about 2 MB) is never loaded."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(entity)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(entity)


def insert_ignoring(
    session: AsyncSession, entity: Any, *, index_elements: Sequence[str] | None = None
) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for ``entity`` on SQLite and PostgreSQL: the
    one insert that ignores a duplicate (of ``index_elements``, or of any unique key)."""
    return dialect_insert(session, entity).on_conflict_do_nothing(index_elements=index_elements)


async def insert_missing(session: AsyncSession, entity: Any, **values: Any) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING`` of one row: True when this call created it.

    Get-or-create for rows that two processes (or two updates) may create at once: a
    read followed by an insert lets both read "missing" and one insert fail.
    """
    statement = insert_ignoring(session, entity).values(**values)
    result = await session.execute(statement)
    return bool(rowcount(result))


def _primary_key(entity: type[Any], values: dict[str, Any]) -> tuple[Any, ...]:
    mapper = inspect(entity)
    return tuple(values[mapper.get_property_by_column(c).key] for c in mapper.primary_key)


async def insert_and_get(
    session: AsyncSession, entity: type[Row], **values: Any
) -> tuple[Row, bool]:
    """:func:`insert_missing` of one row, then that row as the database now holds it (this
    call's, or the one another update or process created first): and True when this call
    created it. ``values`` hold the primary key."""
    created = await insert_missing(session, entity, **values)
    row = await session.get(entity, _primary_key(entity, values), populate_existing=True)
    assert row is not None
    return row, created


async def get_or_insert(session: AsyncSession, entity: type[Row], **values: Any) -> Row:
    """The row of ``entity`` with the primary key in ``values``; when there is none, it is
    created with ``values`` by :func:`insert_and_get` (two creators at once make one row)."""
    row = await session.get(entity, _primary_key(entity, values))
    if row is not None:
        return row
    found, _created = await insert_and_get(session, entity, **values)
    return found
