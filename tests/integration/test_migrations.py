"""Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, select, text

from bot.app import load_models
from bot.core.jobs.models import Installation
from bot.core.kernel.db import Database
from bot.core.kernel.migrate import upgrade
from bot.core.kernel.settings import Settings
from tests.helpers.owned import own_db


async def test_migrations_match_models(migrated: Settings) -> None:
    """After `db upgrade`, autogenerate finds nothing left to migrate."""
    db = own_db(Database(migrated.database_url))

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, load_models()))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_upgrade_twice_is_harmless(migrated: Settings) -> None:
    """A second `db upgrade` (a second `make run`) changes nothing and does not fail."""
    await asyncio.to_thread(upgrade, migrated.database_url)


@pytest.mark.sqlite_only
async def test_missing_database_folder_is_created(settings: Settings, tmp_path: object) -> None:
    """A DATABASE_URL in a folder that does not exist yet works."""
    url = settings.database_url.replace("companion.sqlite3", "deep/er/db.sqlite3")
    await asyncio.to_thread(upgrade, url)
    db = own_db(Database(url))
    assert await db.ping()


@pytest.mark.sqlite_only
async def test_an_upgraded_database_counts_from_its_first_job_run(settings: Settings) -> None:
    """Upgrading a database that already ran jobs dates the first start at its first run,
    so its catch-up goes on as before."""
    url = settings.database_url
    for revision in ("0003", "0008"):  # job_runs, and what 0014 follows
        await asyncio.to_thread(upgrade, url, revision)
    db = own_db(Database(url))
    async with db.session() as session:
        for job, started in (("a.job", "2026-01-02 03:00:00"), ("b.job", "2026-01-01 09:00:00")):
            await session.execute(
                text(
                    "INSERT INTO job_runs"
                    " (job, scheduled_for, trigger, status, attempts, started_at)"
                    f" VALUES ('{job}', '{started}', 'scheduled', 'succeeded', 1, '{started}')"
                )
            )
    await asyncio.to_thread(upgrade, url)
    async with db.session() as session:
        first = await session.scalar(select(Installation.started_at))
    assert first == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
