"""Take a backup: one at a time per folder, leftovers of killed runs removed, the data file
then its manifest published atomically, then rotation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url

from bot.core.kernel import get_logger
from bot.modules.backups import files, postgres, rotation, sqlite
from bot.modules.backups.files import BackupError, Manifest
from bot.modules.backups.settings import BackupOptions

log = get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Taken:
    """A backup just made, and what the run removed."""

    path: Path
    manifest: Manifest
    rotated: tuple[str, ...] = ()
    leftovers: tuple[str, ...] = ()


def kind_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in files.EXTENSIONS:
        raise BackupError(f"cannot back up a {backend} database (SQLite and PostgreSQL only)")
    return backend


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database).expanduser()


async def take(url: str, options: BackupOptions, now: datetime | None = None) -> Taken:
    """Back up the database at ``url`` into ``options.folder`` and rotate; waits for another
    backup of the same folder to finish first."""
    kind, folder = kind_of(url), options.folder.expanduser()
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    async with files.folder_lock(folder):
        leftovers = await asyncio.to_thread(files.remove_leftovers, folder)
        path, manifest = await _write(url, kind, folder, options, now or datetime.now(UTC))
        rotated = await asyncio.to_thread(rotate, folder, options)
    log.info("backup taken", file=path.name, rows=manifest.rows, size=manifest.size)
    return Taken(path, manifest, tuple(rotated), tuple(leftovers))


async def _write(
    url: str, kind: str, folder: Path, options: BackupOptions, now: datetime
) -> tuple[Path, Manifest]:
    name = files.backup_name(kind, now, folder)
    final, temporary = folder / name, files.partial(folder, name)
    started = time.perf_counter()
    try:
        if kind == "sqlite":
            copying = asyncio.to_thread(_sqlite, url, folder, name, temporary)
            tables, revisions = await _finished(copying)
        else:
            tables, revisions = await postgres.dump(url, temporary, options.pg_bin)
        checksum = await asyncio.to_thread(files.sha256_of, temporary)
        size = temporary.stat().st_size
        await asyncio.to_thread(files.publish, temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    manifest = Manifest(
        file=name,
        kind=kind,
        created_at=now.astimezone(UTC),
        revisions=revisions,
        tables=tables,
        sha256=checksum,
        size=size,
        seconds=round(time.perf_counter() - started, 3),
    )
    await asyncio.to_thread(files.write_manifest, final, manifest)
    return final, manifest


async def _finished(work: Awaitable[T]) -> T:
    """``work`` (a thread) to its end, even when the caller is cancelled (a job's timeout):
    its files are removed and the folder unlocked only once nothing writes them any more."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


def _sqlite(
    url: str, folder: Path, name: str, packed: Path
) -> tuple[dict[str, int], tuple[str, ...]]:
    raw = files.partial(folder, name + ".sqlite3")
    try:
        found = sqlite.snapshot(sqlite_path(url), raw)
        sqlite.compress(raw, packed)
    finally:
        raw.unlink(missing_ok=True)
    return found


def rotate(folder: Path, options: BackupOptions) -> list[str]:
    """Remove the complete backups that rotation does not keep; their names."""
    found = [(path, manifest.created_at) for path, manifest in files.complete(folder)]
    gone = rotation.to_remove(found, daily=options.keep_daily, weekly=options.keep_weekly)
    for path in gone:
        files.manifest_path(path).unlink(missing_ok=True)  # no longer complete first
        path.unlink(missing_ok=True)
    return [path.name for path in gone]


def summary_figures(taken: Taken) -> dict[str, str]:
    """The figures of a backup as the job history and the CLI show them."""
    manifest = taken.manifest
    return {
        "file": taken.path.name,
        "tables": f"{len(manifest.tables):,}",
        "rows": f"{manifest.rows:,}",
        "size": files.human_bytes(manifest.size),
    }
