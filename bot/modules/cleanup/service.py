"""What cleanup removes and how: batched deletes, old media files, stale Redis keys, VACUUM.

Plain async functions taking their dependencies; ``jobs.py`` decides the
cut-offs from the retention settings and reports the results.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from bot.core.delivery import OutboxMessage, OutboxStatus
from bot.core.jobs import JobRun, RunStatus
from bot.core.kernel import KEY_PREFIX, Database, Purged, delete_in_batches, rowcount

if TYPE_CHECKING:
    from redis.asyncio import Redis

# Pending rows are work still to do: retention never touches them.
FINISHED_OUTBOX = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SKIPPED)


@dataclass(frozen=True, slots=True)
class FilesRemoved:
    count: int
    bytes: int


async def purge_job_runs(
    db: Database, *, before: datetime, keep_last: int, batch_size: int
) -> Purged:
    """Finished runs that ended before ``before``, except the newest ``keep_last`` of each job.

    ``ROW_NUMBER() OVER (PARTITION BY job ...)`` ranks the runs of each job,
    so a job that runs once a month still shows its history in /jobhistory.
    """
    rank = func.row_number().over(
        partition_by=JobRun.job, order_by=(JobRun.started_at.desc(), JobRun.id.desc())
    )
    ranked = select(JobRun.id.label("id"), rank.label("rank")).subquery()
    beyond_kept = select(ranked.c.id).where(ranked.c.rank > keep_last)
    ended = func.coalesce(JobRun.finished_at, JobRun.started_at)
    return await delete_in_batches(
        db,
        JobRun.id,
        JobRun.status != RunStatus.RUNNING,
        ended < before,
        JobRun.id.in_(beyond_kept),
        batch_size=batch_size,
    )


async def purge_outbox(db: Database, *, before: datetime, batch_size: int) -> Purged:
    """Sent, failed and skipped outbox rows last touched before ``before``.

    Each batch's ids are looked for first, on a connection that only reads, from past the
    last id taken (id order: the oldest rows first), then deleted by primary key in a short
    transaction of their own. The look has no index to use (``coalesce(sent_at,
    created_at)``) and the last one, finding fewer than a batch, reads every row kept: done
    inside the delete, as before, it held SQLite's write lock for that scan (1.9 s at two
    million rows, a reply's write waiting as long), and on PostgreSQL each batch walked again
    past the rows the earlier ones deleted.
    """
    touched = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
    old = (OutboxMessage.status.in_(FINISHED_OUTBOX), touched < before)
    rows = batches = 0
    last = 0
    while True:
        async with db.engine.connect() as connection:
            ids = list(
                await connection.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.id > last, *old)
                    .order_by(OutboxMessage.id)
                    .limit(batch_size)
                )
            )
        batches += 1
        if ids:
            async with db.session() as session:
                result = await session.execute(
                    delete(OutboxMessage).where(OutboxMessage.id.in_(ids), *old)
                )
            rows, last = rows + rowcount(result), ids[-1]
        if len(ids) < batch_size:
            return Purged(rows, batches)


def _remove_old_files(folder: Path, before: float) -> FilesRemoved:
    count = size = 0
    if not folder.is_dir():
        return FilesRemoved(0, 0)
    for path in folder.rglob("*"):
        try:
            info = path.lstat()
            if not path.is_file() or info.st_mtime >= before:
                continue
            path.unlink()
        except FileNotFoundError:  # removed by someone else meanwhile
            continue
        count, size = count + 1, size + info.st_size
    return FilesRemoved(count, size)


async def purge_media(folder: Path, *, before: datetime) -> FilesRemoved:
    """Files under ``folder`` last modified before ``before`` (walked in a thread)."""
    return await asyncio.to_thread(_remove_old_files, folder, before.timestamp())


async def purge_redis(redis: Redis, *, idle_seconds: int, batch_size: int) -> int:
    """The bot's keys with no TTL that nobody read or wrote for ``idle_seconds``.

    SCAN walks the keyspace in small steps (KEYS would block Redis); TTL and
    OBJECT IDLETIME do not touch a key's idle clock.
    """
    removed = 0
    chunk: list[bytes] = []
    async for key in redis.scan_iter(match=f"{KEY_PREFIX}*", count=batch_size):
        chunk.append(key)
        if len(chunk) >= batch_size:
            removed += await _delete_stale(redis, chunk, idle_seconds)
            chunk = []
    if chunk:
        removed += await _delete_stale(redis, chunk, idle_seconds)
    return removed


async def _delete_stale(redis: Redis, keys: list[bytes], idle_seconds: int) -> int:
    pipe = redis.pipeline(transaction=False)
    for key in keys:
        pipe.ttl(key)
        pipe.object("idletime", key)
    answers = await pipe.execute()
    stale = [
        key
        for key, ttl, idle in zip(keys, answers[::2], answers[1::2], strict=True)
        if ttl == -1 and idle is not None and int(idle) > idle_seconds
    ]
    return int(await redis.delete(*stale)) if stale else 0


def _sqlite_size(url: str) -> int:
    database = make_url(url).database or ""
    return sum(
        os.path.getsize(path)
        for path in (database, f"{database}-wal")
        if database not in ("", ":memory:") and os.path.exists(path)
    )


async def database_size(db: Database) -> int:
    """Bytes on disk: the SQLite file (with its WAL), or ``pg_database_size``."""
    if db.is_sqlite:
        return await asyncio.to_thread(_sqlite_size, db.url)
    async with db.engine.connect() as conn:
        result = await conn.exec_driver_sql("SELECT pg_database_size(current_database())")
        return int(result.scalar_one())


async def optimize(db: Database) -> tuple[int, int]:
    """``PRAGMA optimize`` + ``VACUUM`` (SQLite) or ``ANALYZE`` (PostgreSQL); sizes before/after.

    VACUUM refuses to run inside a transaction, so this uses its own
    connection in autocommit mode.
    """
    before = await database_size(db)
    async with db.engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        if db.is_sqlite:
            await auto.exec_driver_sql("PRAGMA optimize")
            await auto.exec_driver_sql("VACUUM")
            await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            await auto.exec_driver_sql("ANALYZE")
    return before, await database_size(db)


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
