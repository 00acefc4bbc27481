"""SQLite: a consistent copy through the online backup API, gzipped; and its restore.

The copy is made by ``sqlite3.Connection.backup`` from a connection of its own, in one step:
it reads one snapshot of the database (in WAL mode the bot's writers go on meanwhile), never
the live file's bytes, which a copy could catch between two pages of one transaction.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import sqlite3
from pathlib import Path

from bot.modules.backups.files import CHUNK, BackupError

BUSY_MS = 30_000


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    return connection


def tables_and_revisions(connection: sqlite3.Connection) -> tuple[dict[str, int], tuple[str, ...]]:
    """Rows per table, and what ``alembic_version`` records."""
    names = [
        str(row[0])
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    counts: dict[str, int] = {}
    for name in names:
        row: tuple[int] = connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        counts[name] = row[0]
    revisions: tuple[str, ...] = ()
    if "alembic_version" in counts:
        found = connection.execute("SELECT version_num FROM alembic_version")
        revisions = tuple(sorted(str(row[0]) for row in found))
    return counts, revisions


def snapshot(source: Path, copy: Path) -> tuple[dict[str, int], tuple[str, ...]]:
    """Copy ``source`` to ``copy`` (a new file) through the backup API, in one step; the
    copy's rows per table and revisions, read from the copy (so they describe exactly it)."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    reader, target = _connect(source), sqlite3.connect(copy)
    try:
        reader.backup(target)  # pages=-1: one step, one snapshot
        target.execute("PRAGMA journal_mode=DELETE")  # the copy is one file
        return tables_and_revisions(target)
    finally:
        target.close()
        reader.close()


def compress(raw: Path, packed: Path) -> None:
    """gzip ``raw`` into ``packed``."""
    with raw.open("rb") as source, gzip.open(packed, "wb", compresslevel=6) as sink:
        shutil.copyfileobj(source, sink, CHUNK)


def expand(packed: Path, raw: Path) -> None:
    """gunzip ``packed`` into ``raw``; :class:`BackupError` when it is not a gzipped database."""
    try:
        with gzip.open(packed, "rb") as source, raw.open("wb") as sink:
            shutil.copyfileobj(source, sink, CHUNK)
    except (OSError, EOFError) as exc:
        raise BackupError(f"{packed.name} is not a gzipped SQLite backup ({exc})") from exc


def read_counts(path: Path) -> tuple[dict[str, int], tuple[str, ...]]:
    """Rows per table and revisions of the database file at ``path``."""
    connection = _connect(path)
    try:
        return tables_and_revisions(connection)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path.name} is not a SQLite database ({exc})") from exc
    finally:
        connection.close()


def settle(path: Path) -> None:
    """Leave the database at ``path`` as one self-contained file (no WAL beside it)."""
    connection = _connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def swap_in(restored: Path, target: Path) -> Path | None:
    """Make ``restored`` the database at ``target`` in one rename; an existing target is kept
    as ``<name>.before-restore`` (returned). No process may have ``target`` open."""
    kept = None
    if target.exists():
        settle(target)  # its WAL folded in, so the kept file is whole and no WAL outlives it
        kept = target.with_name(target.name + ".before-restore")
        link = kept.with_name(kept.name + f".partial-{os.getpid()}")
        link.unlink(missing_ok=True)
        os.link(target, link)
        os.replace(link, kept)
    os.replace(restored, target)
    with contextlib.suppress(OSError):
        descriptor = os.open(target.parent, os.O_RDONLY)
        os.fsync(descriptor)
        os.close(descriptor)
    return kept
