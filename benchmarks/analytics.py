"""The engagement roll-up (``analytics.engagement``) of one day at a million users, beside the
read that ``/stats`` and the console make of its rows.

``python -m benchmarks analytics`` (``make bench BENCH=analytics``). A temporary SQLite
database, then a throw-away PostgreSQL server, each built by SQL alone (no row passes
through Python): USERS users who joined over DAYS days (a third without a start link, a
seventh through an invite, the rest from 20 sources); each day a quarter of the 40% who
keep using the bot is active, with that day's joiners (``user_days``, about 2.8 million
rows over the last 31 days); two thirds have a completed mission, one in 20 a 7-day
streak, one in 50 VIP. The roll-up of the last day runs ROUNDS times (a run replaces the
row); the goal is at most 10 s.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from bot.app import load_models
from bot.core.kernel.db import Database
from bot.core.people.users import User
from bot.modules.analytics import engagement, view
from bot.modules.analytics.models import UserDay
from bot.modules.missions.analytics import FUNNEL as MISSION_STEPS
from bot.modules.subscriptions.analytics import FUNNEL as VIP_STEPS

ROOT = Path(__file__).resolve().parent.parent
USERS = 1_000_000
DAYS = 60
ACTIVE_DAYS = 31  # the roll-up reads 30 days back (and day-N returns of 1, 7, 30)
ROUNDS = 3
FIRST = date(2026, 10, 1)
LAST = FIRST + timedelta(days=DAYS - 1)
TZ = ZoneInfo("UTC")
STEPS = sorted((*MISSION_STEPS, *VIP_STEPS), key=lambda step: step.order)

# The day a user joined: user n on day n % DAYS, at second n % 86400 of it. Each dialect
# writes the same rows its own way (SQLite: a recursive CTE and strftime; PostgreSQL:
# generate_series and intervals).
JOINED_DAY = f"(id % {DAYS})"
SQLITE_AT = (
    f"strftime('%Y-%m-%d %H:%M:%S', :first, '+' || (id % {DAYS}) || ' days',"
    " '+' || (id % 86400) || ' seconds') || '.000000'"
)
PG_AT = (
    f"(TIMESTAMP '{FIRST} 00:00' + (id % {DAYS}) * INTERVAL '1 day'"
    " + (id % 86400) * INTERVAL '1 second')"
)
SOURCE = "CASE WHEN id % 3 = 0 THEN NULL WHEN id % 7 = 0 THEN 'ref' ELSE 'src_' || (id % 20) END"
SQL = {
    "sqlite": {
        "ids": (
            "WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n"
            f" WHERE id < {USERS}) SELECT id FROM n"
        ),
        "at": SQLITE_AT,
        "day": f"date(:first, '+' || {JOINED_DAY} || ' days')",
        "true": "1",
        "later": "'2027-01-01 00:00:00.000000'",
        "insert": "INSERT OR IGNORE",
        "ignore": "",
        "analyze": "ANALYZE",
    },
    "postgresql": {
        "ids": f"SELECT id FROM generate_series(1, {USERS}) AS id",
        "at": PG_AT,
        "day": f"(DATE '{FIRST}' + CAST({JOINED_DAY} AS integer))",
        "true": "true",
        "later": "TIMESTAMP '2027-01-01 00:00'",
        "insert": "INSERT",
        "ignore": "ON CONFLICT DO NOTHING",
        "analyze": "VACUUM ANALYZE",
    },
}


def _populate_sql(dialect: str) -> list[str]:
    q = SQL[dialect]
    return [
        f"""INSERT INTO users (id, first_name, reachable, created_at, last_seen_at, source)
        SELECT id, 'U', {q["true"]}, {q["at"]}, {q["at"]}, {SOURCE} FROM ({q["ids"]}) AS n""",
        f"""INSERT INTO missions (id, title, description, points, kind, active, created_at,
            translations)
        VALUES (1, 'Walk', '', 1, 'custom', {q["true"]}, {q["later"]}, '{{}}')""",
        f"""INSERT INTO mission_assignments (user_id, mission_id, day, status, assigned_at,
            completed_at)
        SELECT id, 1, {q["day"]}, 'done', created_at, created_at FROM users WHERE id % 3 != 0""",
        f"""INSERT INTO streaks (user_id, current, best, last_completed_day)
        SELECT id, 7, 7, {q["day"]} FROM users WHERE id % 20 = 0""",
        f"""INSERT INTO subscriptions (user_id, starts_at, ends_at, status, updated_at)
        SELECT id, created_at, {q["later"]}, 'active', created_at FROM users WHERE id % 50 = 0""",
    ]


async def _populate(db: Database) -> int:
    """Users, missions, streaks and VIP by SQL; then each of the last ACTIVE_DAYS days, the
    quarter of the engaged 40% of the registered users (by id), and that day's joiners."""
    dialect = db.engine.dialect.name
    insert, ignore = SQL[dialect]["insert"], SQL[dialect]["ignore"]
    async with db.session() as session:
        for statement in _populate_sql(dialect):
            params = {"first": FIRST.isoformat()} if ":first" in statement else {}
            await session.execute(text(statement), params)
    for offset in range(DAYS - ACTIVE_DAYS, DAYS):
        async with db.session() as session:
            await session.execute(
                text(
                    f"""{insert} INTO user_days (day, user_id)
                    SELECT :day, id FROM users
                    WHERE {JOINED_DAY} <= :offset AND (
                        id % 100 < 40 AND (id + :offset) % 4 = 0 OR {JOINED_DAY} = :offset
                    ) {ignore}"""
                ),
                {"day": FIRST + timedelta(days=offset), "offset": offset},
            )
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(SQL[dialect]["analyze"]))
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(UserDay)) or 0)


async def _roll_up(db: Database) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    async with db.session() as session:
        figures = await engagement.roll_up(session, STEPS, LAST, TZ)
        await engagement.save(session, LAST, figures, datetime.now(UTC))
    return time.perf_counter() - start, figures


async def _read(db: Database) -> float:
    start = time.perf_counter()
    async with db.session() as session:
        found = await view.latest(session)
    assert found is not None
    return time.perf_counter() - start


async def _measure(url: str, name: str) -> None:
    """Build the data at ``url`` (empty), roll up its last day ROUNDS times, read it back."""
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.run_sync(load_models().create_all)
    began = time.perf_counter()
    active_rows = await _populate(db)
    built = time.perf_counter() - began
    async with db.session() as session:
        users = int(await session.scalar(select(func.count()).select_from(User)) or 0)
    rounds = [await _roll_up(db) for _round in range(ROUNDS)]
    reads = [await _read(db) for _round in range(ROUNDS)]
    await db.dispose()
    roll_up = statistics.median(seconds for seconds, _figures in rounds)
    read = statistics.median(reads)
    figures = rounds[-1][1]
    print(f"{name}, {users:,} users, {active_rows:,} user_days rows (built in {built:.0f} s):")
    print(f"  roll-up of one day (median of {ROUNDS}): {roll_up:8.2f} s  (goal: at most 10 s)")
    ratio = roll_up / read
    print(f"  /stats' read of the roll-up rows:     {read * 1000:8.1f} ms  ({ratio:,.0f}x less)")
    print(
        f"  that day: DAU {figures['dau']:,}, WAU {figures['wau']:,}, MAU {figures['mau']:,};"
        f" funnel {figures['funnel']}",
        flush=True,
    )


async def main() -> None:
    """SQLite here, then PostgreSQL: this benchmark again in a throw-away server
    (``tests/postgres.sh``), which runs the PostgreSQL half only."""
    server = os.environ.get("COMPANION_TEST_POSTGRES_URL")
    if server:
        await _measure(server, "PostgreSQL")
        return
    with tempfile.TemporaryDirectory() as folder:
        await _measure(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}", "SQLite")
    script = ROOT / "tests" / "postgres.sh"
    command = ["bash", str(script), sys.executable, "-m", "benchmarks", "analytics"]
    await asyncio.to_thread(subprocess.run, command, cwd=ROOT, check=True)


if __name__ == "__main__":
    asyncio.run(main())
