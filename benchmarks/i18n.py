"""Queuing a broadcast in each recipient's language: one ``INSERT ... SELECT`` per language
beside the single statement that wrote the same text to everyone, in the same run.

``python -m benchmarks i18n`` (``make bench BENCH=i18n``). A temporary SQLite database with
USERS reachable users, half of them with ``language_code=uk`` (some ``uk-UA``), the rest
English; each round deletes the queued rows and times both ways of queuing them.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, String, cast, delete, func, insert, literal, select

from bot.app import load_models
from bot.core.delivery import Category, OutboxMessage, OutboxStatus, Priority
from bot.core.kernel.db import Database
from bot.core.people import i18n
from bot.core.people.users import User
from bot.modules.broadcast.service import COLUMNS, queue_broadcast

USERS = 20_000
ROUNDS = 5
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CODES = ("uk", "uk-UA", "en", "en-GB", None)


async def _populate(db: Database) -> None:
    rows = [
        {
            "id": n,
            "first_name": "U",
            "language_code": CODES[n % len(CODES)],
            "reachable": True,
            "created_at": NOW,
            "last_seen_at": NOW,
        }
        for n in range(1, USERS + 1)
    ]
    async with db.session() as session:
        await session.execute(insert(User), rows)


async def _single(db: Database) -> float:
    """The statement before languages: one text for every reachable user."""
    o = OutboxMessage
    audience = select(
        literal("single:") + cast(User.id, String),
        User.id,
        User.id,
        literal(Category.ANNOUNCEMENT.value),
        literal("sendMessage"),
        literal({"text": "Big news"}, JSON),
        literal(Priority.BROADCAST),
        literal(OutboxStatus.PENDING.value),
        literal(0),
        literal(NOW, o.next_attempt_at.type),
        literal(NOW, o.created_at.type),
    ).where(User.reachable.is_(True))
    start = time.perf_counter()
    async with db.session() as session:
        await session.execute(insert(o).from_select(COLUMNS, audience))
    return time.perf_counter() - start


async def _per_language(db: Database) -> float:
    """The broadcast as the bot queues it now: a statement per language."""
    start = time.perf_counter()
    async with db.session() as session:
        await queue_broadcast(session, text="Big news", admin_id=1, now=NOW)
    return time.perf_counter() - start


async def _clear(db: Database) -> int:
    async with db.session() as session:
        queued = int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
        await session.execute(delete(OutboxMessage))
    return queued


async def main() -> None:
    i18n.configure("en")
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}")
        async with db.engine.begin() as connection:
            await connection.run_sync(load_models().create_all)
        await _populate(db)
        single, per_language = [], []
        for _round in range(ROUNDS):
            single.append(await _single(db))
            assert await _clear(db) == USERS
            per_language.append(await _per_language(db))
            assert await _clear(db) == USERS
        await db.dispose()
    one, many = statistics.median(single), statistics.median(per_language)
    languages = len(i18n.languages())
    print(f"{USERS:,} reachable users, {languages} languages, median of {ROUNDS} rounds:")
    print(f"  one statement, one text:        {one * 1000:8.1f} ms")
    print(f"  one statement per language:     {many * 1000:8.1f} ms  ({many / one:.2f}x)")


if __name__ == "__main__":
    asyncio.run(main())
