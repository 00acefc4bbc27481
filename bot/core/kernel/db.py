"""The database: one async engine, a session factory, and the declarative base.

SQLite (via aiosqlite) by default, PostgreSQL (via asyncpg) by changing
``DATABASE_URL``. Times are stored as naive UTC and read back as aware UTC, so
both backends behave the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sqlalchemy import DateTime, MetaData, event, inspect, text
from sqlalchemy.engine import Dialect, make_url
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


class Database:
    """Owns the engine and hands out sessions; built by the composition root."""

    __slots__ = ("engine", "sessions", "url")

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
