"""Backups taken by the service in one process: one at a time per folder, and a wait for the
folder's lock that is cancelled leaves the lock free."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.core.kernel import Settings
from bot.modules.backups import files, service
from bot.modules.backups.settings import BackupOptions

NOW = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)


async def test_two_backups_at_once_take_turns(migrated: Settings, tmp_path: Path) -> None:
    """Two backups started together in the same second: both complete, named apart, with
    the same rows; nothing temporary is left."""
    options = BackupOptions(folder=tmp_path / "backups", keep_daily=7)
    first, second = await asyncio.gather(
        service.take(migrated.database_url, options, NOW),
        service.take(migrated.database_url, options, NOW),
    )
    assert first.path != second.path
    assert {first.path.name, second.path.name} == {
        f"2026-12-07T03-30-00Z{files.EXTENSIONS[first.manifest.kind]}",
        f"2026-12-07T03-30-00Z-2{files.EXTENSIONS[first.manifest.kind]}",
    }
    assert first.manifest.tables == second.manifest.tables
    assert first.manifest.revisions and "alembic_version" in first.manifest.tables
    listed = files.listing(options.folder)
    assert len(listed) == 1 and listed[0].intact  # rotation: the newest of the day
    left = [p.name for p in options.folder.iterdir()]
    assert sorted(left) == sorted(
        [files.LOCK_NAME, listed[0].path.name, listed[0].path.name + ".json"]
    )


async def test_a_cancelled_wait_for_the_lock_leaves_it_free(
    migrated: Settings, tmp_path: Path
) -> None:
    """A backup cancelled while another holds the folder (a job's timeout) does not keep
    the lock: the next backup runs."""
    options = BackupOptions(folder=tmp_path / "backups")
    options.folder.mkdir()
    async with files.folder_lock(options.folder):
        waiting = asyncio.create_task(service.take(migrated.database_url, options, NOW))
        await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
    async with asyncio.timeout(60):  # a hang guard
        taken = await service.take(migrated.database_url, options, NOW)
    assert files.listing(options.folder)[0].path == taken.path
