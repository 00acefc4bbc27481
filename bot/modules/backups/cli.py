"""What ``python -m bot backup | backups | restore`` print; each returns the exit code (2 and
one line on stderr when it cannot)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.core.kernel import Settings, get_logger, redact
from bot.modules.backups import files, restore, service
from bot.modules.backups.files import BackupError
from bot.modules.backups.settings import BackupSettings

log = get_logger(__name__)


def _one_line(exc: Exception) -> str:
    """What went wrong, on one line: our own refusals as written, anything else (a database
    that cannot be reached, a disk that is full) with its kind; no secret in it."""
    lines = str(exc).strip().splitlines() or [""]
    text = lines[0] if isinstance(exc, BackupError) else f"{type(exc).__name__}: {lines[0]}"
    return redact(text)


def _options(settings: Settings) -> BackupSettings:
    return settings.of(BackupSettings)


def backup_now(settings: Settings) -> int:
    """One backup now, rotation after it; prints the file and its figures."""
    options = _options(settings).backups
    try:
        taken = asyncio.run(service.take(settings.database_url, options))
    except Exception as exc:  # one line for the operator; the details at DEBUG
        print(f"backup failed: {_one_line(exc)}", file=sys.stderr)
        log.debug("backup failed", exc_info=True)
        return 2
    m = taken.manifest
    print(taken.path)
    print(
        f"  {m.kind}, revision {m.revision}, {len(m.tables)} tables, {m.rows:,} rows, "
        f"{files.human_bytes(m.size)}, {m.seconds:.2f} s, sha256 {m.sha256[:16]}..."
    )
    for name in taken.leftovers:
        print(f"  removed the leftover of an interrupted backup: {name}")
    for name in taken.rotated:
        print(f"  rotated out: {name}")
    return 0


def list_backups(settings: Settings) -> int:
    """Every complete backup, newest first."""
    folder = _options(settings).backups.folder.expanduser()
    listed = files.listing(folder)
    if not listed:
        print(f"no backups in {folder}")
        return 0
    print(f"{'created (UTC)':<20} {'size':>9} {'rows':>11} {'revision':<10} checksum  file")
    for item in listed:
        m = item.manifest
        print(
            f"{m.created_at:%Y-%m-%d %H:%M:%S}  {files.human_bytes(m.size):>9} {m.rows:>11,} "
            f"{m.revision:<10} {'ok' if item.intact else 'DAMAGED':<9} {item.path.name}"
        )
    return 0


def restore_backup(
    settings: Settings,
    file: Path,
    schema: restore.Schema,
    *,
    to: str | None = None,
    replace: bool = False,
) -> int:
    """Restore ``file`` into ``to`` (default DATABASE_URL); prints what it did."""
    url = to or settings.database_url
    try:
        done = asyncio.run(
            restore.restore(
                file,
                url,
                schema,
                replace=replace,
                stale_seconds=settings.instance_stale_seconds,
                pg_bin=_options(settings).backups.pg_bin,
            )
        )
    except Exception as exc:  # one line for the operator; the details at DEBUG
        print(f"restore refused: {_one_line(exc)}", file=sys.stderr)
        log.debug("restore failed", exc_info=True)
        return 2
    for line in done.lines:
        print(line)
    return 0
