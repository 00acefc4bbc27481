"""A new database created from the models and stamped (``db upgrade`` on a first start) is
the database every migration in turn builds: the same tables, columns, keys, constraints,
indexes and seeded rows, and the same recorded revisions (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, Table, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import load_models
from bot.core.kernel.migrate import applied, recorded_heads, upgrade, upgrade_and_describe
from tests.conftest import database_url, on_postgres

# Columns whose values are the moment the row was written (the seeded missions' creation).
MOMENTS = {"created_at"}


async def _empty_database(folder: Path) -> str:
    """A new database with nothing in it: a SQLite file to be, or a PostgreSQL database
    created empty (dropped after the run)."""
    url = database_url(folder)
    if on_postgres():
        from tests.conftest import _Backend, _pg_recreate

        name = str(make_url(url).database)
        await _pg_recreate(name, template=None)
        _Backend.created.append(name)
    return url


def _text(clause: object) -> str | None:
    """A default's or a condition's SQL, spaces and the quotes around it normalised."""
    if clause is None:
        return None
    return re.sub(r"\s+", " ", str(clause)).strip().strip("()")


def describe(connection: Connection) -> dict[str, Any]:
    """Everything the inspector sees of the schema, and the rows in it, per table."""
    inspector = inspect(connection)
    dialect = connection.dialect
    found: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        columns = sorted(  # by name: a migration adds its columns after the others
            (
                c["name"],
                str(c["type"].compile(dialect=dialect)),
                c["nullable"],
                _text(c.get("default")),
                c.get("autoincrement"),
            )
            for c in inspector.get_columns(table)
        )
        pk = inspector.get_pk_constraint(table)
        foreign = sorted(
            (
                str(f["name"]),
                tuple(f["constrained_columns"]),
                f["referred_table"],
                tuple(f["referred_columns"]),
                tuple(sorted((f.get("options") or {}).items())),
            )
            for f in inspector.get_foreign_keys(table)
        )
        unique = sorted(
            (str(u["name"]), tuple(u["column_names"]))
            for u in inspector.get_unique_constraints(table)
        )
        indexes = sorted(
            (
                str(i["name"]),
                tuple(str(c) for c in i["column_names"]),
                bool(i["unique"]),
                _text(i.get("dialect_options", {}).get(f"{dialect.name}_where")),
            )
            for i in inspector.get_indexes(table)
        )
        checks = sorted(
            (str(c["name"]), _text(c["sqltext"])) for c in inspector.get_check_constraints(table)
        )
        found[table] = {
            "columns": columns,
            "primary key": (pk.get("name"), tuple(pk["constrained_columns"])),
            "foreign keys": foreign,
            "unique": unique,
            "indexes": indexes,
            "checks": checks,
            "rows": _rows(connection, table),
        }
    return found


def _rows(connection: Connection, name: str) -> list[tuple[Any, ...]]:
    reflected = Table(name, MetaData(), autoload_with=connection)
    kept = [c for c in reflected.columns if c.name not in MOMENTS]
    order = list(reflected.primary_key.columns) or kept
    rows = connection.execute(select(*kept).order_by(*order)).all()
    return [tuple(row) for row in rows]


async def _describe(url: str) -> dict[str, Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(describe)
    finally:
        await engine.dispose()


async def test_a_database_created_from_the_models_is_the_migrated_one(tmp_path: Path) -> None:
    """Every migration on one new database, the models and a stamp on another (what ``db
    upgrade`` does on a first start, said as such): the two are the same, table by table,
    column by column, index by index, and both record the scripts' heads."""
    migrated = await _empty_database(tmp_path / "migrated")
    created = await _empty_database(tmp_path / "created")
    await asyncio.to_thread(upgrade, migrated)
    said = await asyncio.to_thread(upgrade_and_describe, created, load_models)
    assert said == f"database created at revision {max(recorded_heads())}"
    assert await asyncio.to_thread(applied, created) == recorded_heads()
    assert await asyncio.to_thread(applied, migrated) == recorded_heads()
    by_migrations, by_models = await _describe(migrated), await _describe(created)
    assert sorted(by_models) == sorted(by_migrations)
    differences = [
        (table, part, by_migrations[table][part], by_models[table][part])
        for table in by_migrations
        for part in by_migrations[table]
        if by_models[table][part] != by_migrations[table][part]
    ]
    assert differences == []
    assert by_models["missions"]["rows"], "the catalogue is seeded"


async def test_the_migrated_database_has_nothing_left_to_generate(tmp_path: Path) -> None:
    """Alembic's autogenerate, comparing types and server defaults too, finds nothing the
    models declare that every migration in turn did not build."""
    url = await _empty_database(tmp_path / "migrated")
    await asyncio.to_thread(upgrade, url)

    def diff(connection: Connection) -> list[object]:
        options = {"compare_type": True, "compare_server_default": _defaults_as_text}
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, load_models()))

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(diff) == []
    finally:
        await engine.dispose()


def _defaults_as_text(
    context: object,
    inspected_column: object,
    metadata_column: object,
    inspected_default: str | None,
    metadata_default: object,
    rendered_metadata_default: str | None,
) -> bool:
    """A server default compared as text, casts, brackets and quotes aside (``'{}'::json``
    and ``{}``; ``''`` and ``''``): PostgreSQL cannot compare two JSON values, which Alembic
    asks it to, and Alembic's SQLite comparison takes an empty string for a change."""
    return _bare(inspected_default) != _bare(rendered_metadata_default)


def _bare(default: str | None) -> str | None:
    if default is None:
        return None
    return default.split("::")[0].strip("()").strip("'")


async def test_a_database_with_tables_is_migrated_not_created(tmp_path: Path) -> None:
    """An older database (tables, an older revision) is brought to head by its migrations:
    creating from the models is for a database with no table at all."""
    url = await _empty_database(tmp_path / "older")
    await asyncio.to_thread(upgrade, url, "0003")
    said = await asyncio.to_thread(upgrade_and_describe, url, load_models)
    assert said.startswith("database upgraded from revision 0003 to ")
    assert await asyncio.to_thread(applied, url) == recorded_heads()
