"""Restore a backup into a fresh database, proven: the checksum and the revision checked
first, the rows of every table compared with the manifest, the schema migrated to head.

Nothing touches the target before the backup has been checked. A SQLite restore is built in
a file of its own beside the target, checked and migrated there, then renamed over the
target in one step (the old file kept as ``<name>.before-restore``); a PostgreSQL restore
runs in one transaction that also checks the rows. The migration to head runs last (on
PostgreSQL after the commit), and what it changed is reported, not counted as a mismatch.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.cluster import InstanceRow
from bot.modules.backups import files, postgres, sqlite
from bot.modules.backups.files import BackupError, Manifest
from bot.modules.backups.service import kind_of, sqlite_path


@dataclass(frozen=True, slots=True)
class Schema:
    """What this code knows of the migrations: every revision, and what head records."""

    known: Collection[str]
    heads: tuple[str, ...]
    upgrade: Callable[[str], None]  # brings the database at a URL to head (synchronous)


@dataclass(slots=True)
class Restored:
    """What a restore did, line by line, for the operator."""

    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


def check_backup(data: Path) -> Manifest:
    """The manifest of the backup ``data``, once its data file matches the checksum."""
    if not data.is_file():
        raise BackupError(f"no backup file at {data}")
    manifest = files.read_manifest(data)
    if data.name.endswith(files.MANIFEST_SUFFIX):
        data = data.with_name(manifest.file)
    if manifest.file != data.name:
        raise BackupError(f"the manifest is of {manifest.file}, not of {data.name}")
    if files.sha256_of(data) != manifest.sha256:
        raise BackupError(f"{data.name} does not match its checksum: the file is damaged")
    return manifest


def check_revision(manifest: Manifest, schema: Schema) -> None:
    unknown = sorted(set(manifest.revisions) - set(schema.known))
    if unknown:
        raise BackupError(
            f"the backup is at revision {', '.join(unknown)}, which this code does not know "
            "(made by a newer version? restore it with that version)"
        )
    if not manifest.revisions:
        raise BackupError("the backup records no schema revision (not a Companion database?)")


async def live_instances(url: str, stale_seconds: float) -> int:
    """Processes whose heartbeat in the database at ``url`` is recent (0 when it has none)."""
    if kind_of(url) == "sqlite" and not sqlite_path(url).exists():
        return 0
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
            if InstanceRow.__tablename__ not in names:
                return 0
            cutoff = datetime.now(UTC) - timedelta(seconds=stale_seconds)
            query = select(InstanceRow.id).where(InstanceRow.heartbeat_at >= cutoff)
            return len((await conn.execute(query)).all())
    finally:
        await engine.dispose()


async def has_tables(url: str) -> bool:
    if kind_of(url) == "sqlite":
        path = sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return False
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return bool(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def restore(
    data: Path,
    url: str,
    schema: Schema,
    *,
    replace: bool = False,
    stale_seconds: float = 5.0,
    pg_bin: Path | None = None,
) -> Restored:
    """Restore ``data`` into the database at ``url``; :class:`BackupError` (one line) when it
    cannot, with the target as it was."""
    manifest = await asyncio.to_thread(check_backup, data)
    data = data.with_name(manifest.file)
    check_revision(manifest, schema)
    kind = kind_of(url)
    if manifest.kind != kind:
        raise BackupError(f"a {manifest.kind} backup cannot be restored into a {kind} database")
    if live := await live_instances(url, stale_seconds):
        raise BackupError(
            f"a bot is running on the target database ({live} live instance(s)): stop it first"
        )
    if await has_tables(url) and not replace:
        raise BackupError("the target database already has tables (add --replace to replace it)")
    done = Restored()
    done.say(f"backup {data.name}: checksum ok, revision {manifest.revision}")
    if kind == "sqlite":
        await asyncio.to_thread(_sqlite, data, sqlite_path(url), manifest, schema, done)
    else:
        await postgres.restore(data, url, manifest.tables, replace=replace, bin_folder=pg_bin)
        done.say(f"restored {len(manifest.tables)} tables, {manifest.rows:,} rows, as counted")
        if manifest.revisions != schema.heads:
            await asyncio.to_thread(schema.upgrade, url)
            _report_migration(manifest, await postgres.state(url), done)
    return done


def _sqlite(data: Path, target: Path, manifest: Manifest, schema: Schema, done: Restored) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    try:
        sqlite.expand(data, building)
        tables, _ = sqlite.read_counts(building)
        _compare(manifest.tables, tables)
        done.say(f"restored {len(tables)} tables, {sum(tables.values()):,} rows, as counted")
        if manifest.revisions != schema.heads:
            schema.upgrade(f"sqlite+aiosqlite:///{building}")
            _report_migration(manifest, sqlite.read_counts(building), done)
        sqlite.settle(building)
        kept = sqlite.swap_in(building, target)
    finally:  # the file being built and whatever was made beside it (journal, locks)
        for path in building.parent.glob(f"{building.name}*"):
            path.unlink(missing_ok=True)
    if kept is not None:
        done.say(f"the previous database is kept as {kept}")
    done.say(f"restored into {target}")


def _compare(expected: dict[str, int], found: dict[str, int]) -> None:
    wrong = [
        f"{name} {found.get(name, 'missing')} (manifest {rows})"
        for name, rows in sorted(expected.items())
        if found.get(name) != rows
    ]
    if wrong:
        raise BackupError("row counts differ from the manifest: " + ", ".join(wrong))


def _report_migration(
    manifest: Manifest, after: tuple[dict[str, int], tuple[str, ...]], done: Restored
) -> None:
    tables, revisions = after
    done.say(f"migrated from revision {manifest.revision} to {max(revisions)}")
    changed = [
        f"{name} {rows:,} -> {tables.get(name, 0):,}"
        for name, rows in sorted(manifest.tables.items())
        if tables.get(name) != rows and name != "alembic_version"
    ]
    if changed:
        done.say("the migration changed the rows of: " + ", ".join(changed))
