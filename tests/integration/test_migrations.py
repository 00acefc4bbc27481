"""Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from bot.app import load_models
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.migrate import upgrade


async def test_migrations_match_models(migrated: Settings) -> None:
    """After `db upgrade`, autogenerate finds nothing left to migrate."""
    db = Database(migrated.database_url)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, load_models()))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    await db.dispose()


async def test_upgrade_twice_is_harmless(migrated: Settings) -> None:
    """A second `db upgrade` (a second `make run`) changes nothing and does not fail."""
    await asyncio.to_thread(upgrade, migrated.database_url)


@pytest.mark.sqlite_only
async def test_missing_database_folder_is_created(settings: Settings, tmp_path: object) -> None:
    """A DATABASE_URL in a folder that does not exist yet works."""
    url = settings.database_url.replace("companion.sqlite3", "deep/er/db.sqlite3")
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    assert await db.ping()
    await db.dispose()
