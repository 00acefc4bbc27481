"""A new SQLite database is created from the models in one transaction: a creation that
fails half-way leaves no table behind, so the next start creates it anew (instead of
finding tables without a revision, which no migration could then bring to head)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import load_models
from bot.core.kernel.migrate import applied, recorded_heads, upgrade_and_describe

pytestmark = pytest.mark.sqlite_only  # the SQLite driver's transactions; PostgreSQL's are DDL's


async def _tables(url: str) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()


def _without_missions() -> MetaData:
    """Tables that create_all makes, and no ``missions`` to seed: the seeding fails after
    the tables were created."""
    metadata = MetaData()
    Table("first", metadata, Column("id", Integer, primary_key=True))
    Table("second", metadata, Column("id", Integer, primary_key=True))
    return metadata


def test_a_failed_creation_leaves_nothing_and_the_next_one_creates(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/new/companion.sqlite3"
    with pytest.raises(KeyError, match="missions"):
        upgrade_and_describe(url, models=_without_missions)
    assert asyncio.run(_tables(url)) == []
    said = upgrade_and_describe(url, models=load_models)
    assert said == f"database created at revision {max(recorded_heads())}"
    assert applied(url) == recorded_heads()
    assert "missions" in asyncio.run(_tables(url))
