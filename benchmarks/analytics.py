"""The engagement roll-up (``analytics.engagement``) of one day at a million users, beside the
read that ``/stats`` and the console make of its rows.

``python -m benchmarks analytics`` (``make bench BENCH=analytics``). A temporary SQLite
database, built by SQL alone (no row passes through Python): USERS users who joined over
DAYS days (a third without a start link, a seventh through an invite, the rest from 20
sources); each day a quarter of the 40% who keep using the bot is active, with that day's
joiners (``user_days``, about 2.5 million rows over the last 31 days); two thirds have a
completed mission, one in 20 a 7-day streak, one in 50 VIP. The roll-up of the last day
runs ROUNDS times (a run replaces the row); the goal is at most 10 s.
"""

from __future__ import annotations

import asyncio
import statistics
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

USERS = 1_000_000
DAYS = 60
ACTIVE_DAYS = 31  # the roll-up reads 30 days back (and day-N returns of 1, 7, 30)
ROUNDS = 3
FIRST = date(2026, 10, 1)
LAST = FIRST + timedelta(days=DAYS - 1)
TZ = ZoneInfo("UTC")
STEPS = sorted((*MISSION_STEPS, *VIP_STEPS), key=lambda step: step.order)

# The day a user joined: user n on day n % DAYS, at second n % 86400 of it.
JOINED_DAY = f"(id % {DAYS})"
AT = (
    "strftime('%Y-%m-%d %H:%M:%S', :first, '+' || {days} || ' days',"
    " '+' || {seconds} || ' seconds') || '.000000'"
)

POPULATE = [
    f"""WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n WHERE id < {USERS})
    INSERT INTO users (id, first_name, reachable, created_at, last_seen_at, source)
    SELECT id, 'U', 1, {AT.format(days=JOINED_DAY, seconds="(id % 86400)")},
        {AT.format(days=JOINED_DAY, seconds="(id % 86400)")},
        CASE WHEN id % 3 = 0 THEN NULL WHEN id % 7 = 0 THEN 'ref' ELSE 'src_' || (id % 20) END
    FROM n""",
    """INSERT INTO missions (id, title, description, points, kind, active, created_at,
        translations) VALUES (1, 'Walk', '', 1, 'custom', 1, '2026-10-01 00:00:00.000000', '{}')""",
    f"""INSERT INTO mission_assignments (user_id, mission_id, day, status, assigned_at,
        completed_at)
    SELECT id, 1, date(:first, '+' || {JOINED_DAY} || ' days'), 'done', created_at, created_at
    FROM users WHERE id % 3 != 0""",
    f"""INSERT INTO streaks (user_id, current, best, last_completed_day)
    SELECT id, 7, 7, date(:first, '+' || {JOINED_DAY} || ' days') FROM users WHERE id % 20 = 0""",
    """INSERT INTO subscriptions (user_id, starts_at, ends_at, status, updated_at)
    SELECT id, created_at, '2027-01-01 00:00:00.000000', 'active', created_at
    FROM users WHERE id % 50 = 0""",
]


async def _populate(db: Database) -> int:
    """Users, missions, streaks and VIP by SQL; then each of the last ACTIVE_DAYS days, the
    quarter of the engaged 40% of the registered users (by id), and that day's joiners."""
    params = {"first": FIRST.isoformat()}
    async with db.session() as session:
        for statement in POPULATE:
            await session.execute(text(statement), params)
    for offset in range(DAYS - ACTIVE_DAYS, DAYS):
        day = FIRST + timedelta(days=offset)
        async with db.session() as session:
            await session.execute(
                text(
                    f"""INSERT OR IGNORE INTO user_days (day, user_id)
                    SELECT :day, id FROM users
                    WHERE {JOINED_DAY} <= :offset AND (
                        id % 100 < 40 AND (id + :offset) % 4 = 0 OR {JOINED_DAY} = :offset
                    )"""
                ),
                {"day": day.isoformat(), "offset": offset},
            )
    async with db.session() as session:
        await session.execute(text("ANALYZE"))
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


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}")
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
    print(f"SQLite, {users:,} users, {active_rows:,} user_days rows (built in {built:.0f} s):")
    print(f"  roll-up of one day (median of {ROUNDS}): {roll_up:8.2f} s  (goal: at most 10 s)")
    ratio = roll_up / read
    print(f"  /stats' read of the roll-up rows:     {read * 1000:8.1f} ms  ({ratio:,.0f}x less)")
    print(
        f"  that day: DAU {figures['dau']:,}, WAU {figures['wau']:,}, MAU {figures['mau']:,};"
        f" funnel {figures['funnel']}"
    )


if __name__ == "__main__":
    asyncio.run(main())
