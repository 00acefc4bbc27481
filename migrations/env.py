"""Alembic environment: async engine, the bot's settings and the bot's metadata.

Online, the migration runs under the migration lock (``bot.core.kernel.migrate``), which it
takes before reading the database's revision: a process that waited finds what the other
did. A database that records a revision these scripts do not know (a newer version
migrated it) is refused before anything runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import load_models
from bot.core.kernel.db import ensure_sqlite_directory
from bot.core.kernel.migrate import NewerDatabase, migration_lock, newer_than_code
from bot.core.kernel.settings import Settings, load_settings

config = context.config
target_metadata = load_models()


def _url() -> str:
    given = config.attributes.get("database_url")  # None when run by the `alembic` command
    return str(given) if given else load_settings(Settings).database_url


def _configure(connection: Connection | None = None) -> None:
    context.configure(
        connection=connection,
        url=None if connection else _url(),
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )


def run_offline() -> None:
    _configure()
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    migration = context.get_context()
    before = tuple(sorted(migration.get_current_heads()))
    versions = Path(context.script.versions)  # this run's scripts (a test may add some)
    if refusal := newer_than_code(before, versions):
        raise NewerDatabase(refusal)
    with context.begin_transaction():
        context.run_migrations()
    config.attributes["before"] = before
    config.attributes["after"] = tuple(sorted(migration.get_current_heads()))


async def run_online() -> None:
    url = _url()
    ensure_sqlite_directory(url)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            on_wait = config.attributes.get("on_wait")
            async with migration_lock(connection, *([on_wait] if on_wait else [])) as waited:
                config.attributes["waited"] = waited
                await connection.run_sync(_run_sync)
                await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
