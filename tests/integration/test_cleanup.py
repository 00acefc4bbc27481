"""cleanup.daily and cleanup.optimize against a real SQLite database and media folder."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.core.kernel.retention import PurgeRequest
from bot.core.kernel.settings import Settings
from bot.modules.cleanup import jobs, service
from tests.conftest import make_settings, upgrade_fresh
from tests.helpers.operations import build, job_context, outbox_rows, queue, set_status


async def _migrated(tmp_path: Path, **overrides: Any) -> Settings:
    settings = make_settings(tmp_path, **overrides)
    await upgrade_fresh(settings.database_url)
    return settings


async def test_outbox_retention_keeps_pending_and_recent_rows(tmp_path: Path) -> None:
    """Old finished rows go in batches of 2 (5 rows -> 3 commits); pending and recent rows stay."""
    settings = await _migrated(tmp_path, retention={"outbox_days": 7, "batch_size": 2})
    services, clock, bot = build(settings)
    old = [f"old:{n}" for n in range(5)]
    for key in [*old, "old:pending"]:
        await queue(services, key)
    for key, status in zip(old, ["sent", "sent", "failed", "skipped", "sent"], strict=True):
        await set_status(services, key, status, sent_at=clock.now() if status == "sent" else None)
    clock.advance(timedelta(days=8))
    await queue(services, "new:sent")
    await set_status(services, "new:sent", "sent", sent_at=clock.now())
    commits: list[object] = []
    count_commit = commits.append
    event.listen(services.db.engine.sync_engine, "commit", count_commit)

    purged = await service.purge_outbox(
        services.db, before=clock.now() - timedelta(days=7), batch_size=2
    )
    event.remove(services.db.engine.sync_engine, "commit", count_commit)
    summary = await jobs.daily(job_context(services, bot, "cleanup.daily"))

    assert (purged.rows, purged.batches, len(commits)) == (5, 3, 3)
    assert "outbox 0 rows in 1 batches" in summary
    assert [row.key for row in await outbox_rows(services)] == ["old:pending", "new:sent"]


async def test_media_cleanup_reports_files_and_bytes(tmp_path: Path) -> None:
    """Files older than MEDIA_DAYS are removed and counted with their size; newer ones stay."""
    settings = await _migrated(tmp_path, retention={"media_days": 3})
    _services, clock, _bot = build(settings)
    media = settings.media_dir / "reports"
    media.mkdir(parents=True)
    stale = clock.now().timestamp() - 4 * 86_400
    for name, size in (("a.png", 1000), ("b.png", 2500)):
        (media / name).write_bytes(b"x" * size)
        os.utime(media / name, (stale, stale))
    (media / "fresh.png").write_bytes(b"y" * 10)
    os.utime(media / "fresh.png", (clock.now().timestamp(), clock.now().timestamp()))

    removed = await service.purge_media(settings.media_dir, before=clock.now() - timedelta(days=3))

    assert (removed.count, removed.bytes) == (2, 3500)
    assert sorted(p.name for p in media.iterdir()) == ["fresh.png"]


async def test_registered_purgers_run_and_are_reported(tmp_path: Path) -> None:
    """A purger a module registered in services.purgers runs with the batch size and is reported."""
    settings = await _migrated(tmp_path, retention={"batch_size": 7})
    services, _clock, bot = build(settings)
    seen: list[PurgeRequest] = []

    async def purge_tokens(request: PurgeRequest) -> int:
        seen.append(request)
        return 4

    services.purgers.add("tokens", purge_tokens)
    summary = await jobs.daily(job_context(services, bot, "cleanup.daily"))

    assert "tokens 4" in summary
    assert seen[0].batch_size == 7


@pytest.mark.sqlite_only
async def test_optimize_vacuums_sqlite_and_reports_sizes(tmp_path: Path) -> None:
    """VACUUM runs (outside a transaction) and the file shrinks after many rows are deleted."""
    settings = await _migrated(tmp_path, retention={"outbox_days": 1, "batch_size": 500})
    services, clock, bot = build(settings)
    for n in range(300):
        await queue(services, f"bulk:{n}", payload={"padding": "z" * 500})
    for row in await outbox_rows(services):
        await set_status(services, row.key, "sent", sent_at=clock.now())
    clock.advance(timedelta(days=2))
    await jobs.daily(job_context(services, bot, "cleanup.daily"))

    before, after = await service.optimize(services.db)
    summary = await jobs.optimize(job_context(services, bot, "cleanup.optimize"))

    assert after < before
    assert summary.startswith("VACUUM: ") and " -> " in summary
