"""The database behind ``benchmarks/campaigns.py``: a million users written by SQL alone.

User ``i`` (1 to USERS, its id and chat id) reads Ukrainian when ``i`` is even and English
otherwise; lives in one of 30 zones (``i % 31``; the 31st share never set a zone, so the
bot's zone holds for them); blocked the bot when ``i % 50 == 7`` (2%); was seen within the
last 29 days when ``i % 5 == 0`` (20%), else 31 days to ten months ago. ``i % 10 == 3`` carry
the tag ``segment``, ``i % 7 == 0`` the tag ``beta``. So ``lang:uk seen:30d`` (``i % 10 ==
0``) and ``tag:segment`` each select exactly 100,000 reachable users of 1,000,000.
"""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import text

from benchmarks.seed import zone_case
from bot.core.kernel.db import Database

USERS = int(os.environ.get("CAMPAIGNS_BENCH_USERS", "1000000"))  # lower for a quick look
UNREACHABLE = "i % 50 = 7"
SEEN_RECENTLY = "i % 5 = 0"


def _users_sql(dialect: str, now: datetime) -> str:
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    recent = f"CASE WHEN {SEEN_RECENTLY} THEN i % 29 ELSE 31 + i % 300 END"
    columns = "id, first_name, language, reachable, timezone, created_at, last_seen_at"
    language = "CASE WHEN i % 2 = 0 THEN 'uk' ELSE 'en' END"
    if dialect == "sqlite":

        def ago(days: str) -> str:
            return (
                f"strftime('%Y-%m-%d %H:%M:%S', '{stamp}', '-' || ({days}) || ' days',"
                " '-' || (i % 86400) || ' seconds') || '.000000'"
            )

        return (
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {USERS})"
            f" INSERT INTO users ({columns})"
            f" SELECT i, 'U', {language}, CASE WHEN {UNREACHABLE} THEN 0 ELSE 1 END,"
            f" {zone_case('i')}, {ago('400 + i % 365')}, {ago(recent)} FROM n"
        )

    def pg_ago(days: str) -> str:
        return (
            f"(TIMESTAMP '{stamp}' - ({days}) * INTERVAL '1 day'"
            " - (i % 86400) * INTERVAL '1 second')"
        )

    return (
        f"INSERT INTO users ({columns})"
        f" SELECT i, 'U', {language}, NOT ({UNREACHABLE}), {zone_case('i')},"
        f" {pg_ago('400 + i % 365')}, {pg_ago(recent)} FROM generate_series(1, {USERS}) AS i"
    )


TAGS = (
    "INSERT INTO user_tags (user_id, tag, created_at)"
    " SELECT id, 'segment', created_at FROM users WHERE id % 10 = 3",
    "INSERT INTO user_tags (user_id, tag, created_at)"
    " SELECT id, 'beta', created_at FROM users WHERE id % 7 = 0",
)


async def populate(db: Database, now: datetime) -> None:
    """The users and their tags, then the planner's statistics."""
    dialect = db.engine.dialect.name
    async with db.session() as session:
        await session.execute(text(_users_sql(dialect, now)))
        for statement in TAGS:
            await session.execute(text(statement))
    await analyze(db)


async def analyze(db: Database) -> None:
    statement = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(statement))


async def clear_outbox(db: Database) -> None:
    """Empty the outbox between two measurements (SQLite's unconditional DELETE truncates)."""
    postgres = db.engine.dialect.name == "postgresql"
    async with db.session() as session:
        await session.execute(text("TRUNCATE outbox" if postgres else "DELETE FROM outbox"))
