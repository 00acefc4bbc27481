"""Fill a database with N realistic users and D days of their history, by SQL alone.

``python -m benchmarks.seed --users N [--database-url URL] [--days D] [--old-outbox R]``
migrates the database to head (the bot's own :func:`~bot.core.kernel.migrate.upgrade`),
then writes every row with a few ``INSERT ... SELECT`` statements over a counter (SQLite: a
recursive CTE; PostgreSQL: ``generate_series``), so no row passes through Python and a
million users take minutes. The database should be empty (freshly created or migrated).

User ``i`` (1 to N; its id and chat id) is fixed by ``i`` alone, so a test can say what
it expects:

- **language**: Telegram's ``language_code`` is ``en`` for ``i % 10`` 0-4, ``uk`` for 5-7,
  ``de`` for 8 and ``pl`` for 9; the chosen ``language`` is ``en``/``uk`` for those, none
  for the others (the bot's fallback);
- **zone**: one of the 30 :data:`ZONES` (``i % 31``), the 31st share none (the bot's);
- **joined** over the past year, in order of ``i`` (the last one now); one in ten has a
  username; a third came with no start link, a seventh through a friend's invite (``i % 7
  == 0``: the inviter is ``i // 7``, rewarded 50 points), the rest from 20 sources;
- **reachable** unless ``i % 50 == 7`` (2% blocked the bot, each with its change recorded);
- **mission times**: ``i % 5 == 0`` chose their own minute of the day, the rest keep the
  defaults (09:00 mission, 21:00 streak reminder, in their zone); one ``user_schedules`` row
  per kind with its next ``due_at``, as the sweeper keeps it;
- **VIP**: ``i % 100 == 0`` hold an active subscription, ``i % 100 == 50`` an expired one;
- **history** of each of the last D days (from the day they joined): a mission assigned
  to every reachable user (its outbox message sent, within the outbox's 14-day retention),
  done by the day's active users: the 40% who keep using the bot (``i % 100 < 40``) are
  active one day in four (``(i + day's ordinal) % 4 == 0``), so 10% a day; the
  mission's points in the ledger for each done; the days each was active (``user_days``)
  over the last D days, at least the engagement roll-up's 31 (at most the 70 kept);
  a streak and a balance (the ledger's sum) for everyone with a mission done; the daily
  snapshots the trend reads.

``--old-outbox R`` adds R sent outbox rows older than the outbox's retention (what the
nightly cleanup deletes), written before the recent ones, so that they hold the lowest ids as
in a bot that ran for a year (cleanup finds its batches in id order).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel.db import Database

# 30 zones, east to west: DST in both hemispheres, half- and quarter-hour offsets, and UTC.
ZONES = (
    "Pacific/Kiritimati",
    "Pacific/Auckland",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Bangkok",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Asia/Tashkent",
    "Asia/Dubai",
    "Asia/Tehran",
    "Europe/Moscow",
    "Europe/Kyiv",
    "Europe/Istanbul",
    "Africa/Cairo",
    "Europe/Berlin",
    "Europe/Warsaw",
    "Africa/Lagos",
    "Europe/London",
    "UTC",
    "Atlantic/Azores",
    "America/Sao_Paulo",
    "America/St_Johns",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)
DEFAULT_URL = "sqlite+aiosqlite:///./data/companion.sqlite3"
JOIN_DAYS = 365  # users joined over the past year
MISSIONS = 10
MISSION_POINTS = 10
REFERRAL_POINTS = 50
OUTBOX_DAYS = 14  # what the outbox keeps (RETENTION__OUTBOX_DAYS)
ACTIVITY_DAYS = 70  # what user_days keeps (RETENTION__ACTIVITY_DAYS)
ENGAGEMENT_DAYS = 31  # the engagement roll-up's longest window (30 days) and its day
BOT_ZONE = "UTC"
DEFAULT_MINUTES = {"mission": 9 * 60, "streak_risk": 21 * 60}
STAMP = "%Y-%m-%d %H:%M:%S"
PAYLOAD = json.dumps({"text": "Today's mission: a 20-minute walk"})
BLOCKED = "Forbidden: bot was blocked by the user"


@dataclass(frozen=True, slots=True)
class Shape:
    users: int
    days: int
    now: datetime  # naive UTC, whole seconds

    def joined_by(self, column: str, back: int) -> str:
        """``column`` (a user's ``i``) had joined by the end of the day ``back`` days ago."""
        return f"{column} * {JOIN_DAYS} <= ({JOIN_DAYS} - {back}) * {self.users}"


def active(column: str, day: date) -> str:
    """Whether user ``column`` was active on ``day`` (10% a day, the same 40% of users)."""
    return f"({column} % 100 < 40 AND ({column} + {day.toordinal()}) % 4 = 0)"


class Dialect:
    """The few expressions the two databases write differently."""

    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"

    def counter(self, n: int) -> str:
        """A query of one column ``i``, 1 to ``n``."""
        if self.sqlite:
            return (
                "SELECT i FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                f" WHERE i < {n}) SELECT i FROM n)"
            )
        return f"SELECT i FROM generate_series(CAST(1 AS BIGINT), {n}) AS i"

    def at(self, moment: datetime, seconds: str = "0") -> str:
        """The timestamp ``seconds`` (an SQL expression) after ``moment``."""
        stamp = moment.strftime(STAMP)
        if self.sqlite:
            return f"(strftime('{STAMP}', '{stamp}', ({seconds}) || ' seconds') || '.000000')"
        return f"(TIMESTAMP '{stamp}' + ({seconds}) * INTERVAL '1 second')"

    def day(self, value: date) -> str:
        return f"'{value.isoformat()}'" if self.sqlite else f"DATE '{value.isoformat()}'"

    def json(self, value: str) -> str:
        quoted = "'" + value.replace("'", "''") + "'"
        return quoted if self.sqlite else f"CAST({quoted} AS JSON)"

    def string(self, expression: str) -> str:
        return f"CAST({expression} AS {'TEXT' if self.sqlite else 'VARCHAR'})"

    def boolean(self, condition: str) -> str:
        return f"CASE WHEN {condition} THEN 1 ELSE 0 END" if self.sqlite else f"({condition})"


def zone_case(column: str) -> str:
    """The zone of user ``column``: one of ZONES, or none for the 31st share."""
    whens = " ".join(f"WHEN {n} THEN '{zone}'" for n, zone in enumerate(ZONES))
    return f"CASE {column} % {len(ZONES) + 1} {whens} ELSE NULL END"


def _joined(shape: Shape, q: Dialect, column: str) -> str:
    """When user ``column`` joined: over the past JOIN_DAYS days in order, the last now."""
    span = JOIN_DAYS * 86_400
    return q.at(shape.now, f"{column} * {span} / {shape.users} - {span}")


def users_sql(shape: Shape, q: Dialect) -> str:
    language_code = (
        "CASE WHEN i % 10 < 5 THEN 'en' WHEN i % 10 < 8 THEN 'uk' "
        "WHEN i % 10 = 8 THEN 'de' ELSE 'pl' END"
    )
    language = "CASE WHEN i % 10 < 5 THEN 'en' WHEN i % 10 < 8 THEN 'uk' END"
    source = "CASE WHEN i % 3 = 0 THEN NULL WHEN i % 7 = 0 THEN 'ref' ELSE 'src_' || (i % 20) END"
    joined = _joined(shape, q, "i")
    # The 40% who keep using the bot were seen in the last three days, the rest last when
    # they joined.
    seen = f"CASE WHEN i % 100 < 40 THEN {q.at(shape.now, '-(i % 259200)')} ELSE {joined} END"
    return (
        "INSERT INTO users (id, username, first_name, language_code, language, referrer_id,"
        " reachable, unreachable_reason, timezone, created_at, last_seen_at, source)"
        f" SELECT i, CASE WHEN i % 10 = 0 THEN 'user' || i END, 'User ' || i,"
        f" {language_code}, {language}, CASE WHEN i % 7 = 0 THEN i / 7 END,"
        f" {q.boolean('i % 50 != 7')}, CASE WHEN i % 50 = 7 THEN '{BLOCKED}' END,"
        f" {zone_case('i')}, {joined}, {seen}, {source} FROM ({q.counter(shape.users)}) AS n"
    )


def missions_sql(shape: Shape, q: Dialect) -> list[str]:
    """A catalogue of MISSIONS, for a database whose migrations wrote none."""
    made = q.at(shape.now, f"-{(JOIN_DAYS + 1) * 86_400}")
    return [
        "INSERT INTO missions (id, title, description, points, kind, active, created_at,"
        f" translations) VALUES ({n}, 'Mission {n}', 'Do thing number {n} today',"
        f" {MISSION_POINTS}, 'custom', {q.boolean('1 = 1')}, {made},"
        f" {q.json(json.dumps({'uk': {'title': f'Місія {n}', 'description': 'Зробіть це'}}))})"
        for n in range(1, MISSIONS + 1)
    ]


def _mission_of(ids: tuple[int, ...], day: date) -> str:
    """The mission of user ``id`` on ``day``: the catalogue in turn."""
    whens = " ".join(f"WHEN {n} THEN {mission}" for n, mission in enumerate(ids))
    return f"CASE (id + {day.toordinal()}) % {len(ids)} {whens} END"


def day_sql(shape: Shape, q: Dialect, back: int, missions: tuple[int, ...]) -> list[str]:
    """The statements that write the history of the day ``back`` days ago."""
    day = shape.now.date() - timedelta(days=back)
    start = datetime.combine(day, datetime.min.time())
    today = back == 0
    done = active("id", day)
    status = f"CASE WHEN {done} THEN 'done' ELSE '{'open' if today else 'missed'}' END"
    assigned = q.at(start, "(id % 720) * 60")  # the user's mission time (UTC), before noon
    completed = q.at(start, "(id % 720) * 60 + 3600")
    statements = [
        "INSERT INTO mission_assignments (user_id, mission_id, day, status, assigned_at,"
        f" completed_at) SELECT id, {_mission_of(missions, day)}, {q.day(day)},"
        f" {status}, {assigned}, CASE WHEN {done} THEN {completed} END FROM users"
        f" WHERE id % 50 != 7 AND {shape.joined_by('id', back)}",
        "INSERT INTO transactions (user_id, amount, reason, reference, created_at)"
        f" SELECT a.user_id, m.points, 'mission', {q.string('a.id')}, a.completed_at"
        " FROM mission_assignments AS a JOIN missions AS m ON m.id = a.mission_id"
        f" WHERE a.day = {q.day(day)} AND a.status = 'done'",
    ]
    if back < OUTBOX_DAYS:
        statements.append(
            "INSERT INTO outbox (key, chat_id, user_id, category, method, payload, priority,"
            " status, attempts, next_attempt_at, created_at, sent_at, message_id)"
            f" SELECT 'mission:' || user_id || '/{day.isoformat()}', user_id, user_id,"
            f" 'mission', 'sendMessage', {q.json(PAYLOAD)}, 20, 'sent', 1, assigned_at,"
            f" assigned_at, assigned_at, id FROM mission_assignments WHERE day = {q.day(day)}"
        )
    return statements


def active_sql(shape: Shape, q: Dialect, back: int) -> str:
    """The users active on the day ``back`` days ago (``user_days``)."""
    day = shape.now.date() - timedelta(days=back)
    return (
        f"INSERT INTO user_days (day, user_id) SELECT {q.day(day)}, id FROM users"
        f" WHERE {active('id', day)} AND {shape.joined_by('id', back)}"
    )


def people_sql(shape: Shape, q: Dialect) -> list[str]:
    """Referrals, VIP, reachability changes, then streaks and balances from the history."""
    # A 30-day period ending in 1 to 60 days (active) or that ended 1 to 90 days ago.
    ends = "CASE WHEN id % 100 = 0 THEN 1 + id % 60 ELSE -(1 + id % 90) END * 86400"
    starts = q.at(shape.now, f"{ends} - 30 * 86400")
    installed = q.at(shape.now, f"-{(JOIN_DAYS + 1) * 86_400}")
    return [
        "INSERT INTO referral_rewards (invitee_id, inviter_id, points, created_at, paid_at)"
        f" SELECT id, referrer_id, {REFERRAL_POINTS}, created_at, created_at FROM users"
        " WHERE referrer_id IS NOT NULL",
        "INSERT INTO transactions (user_id, amount, reason, reference, created_at)"
        f" SELECT inviter_id, points, 'referral', {q.string('invitee_id')}, paid_at"
        " FROM referral_rewards",
        "INSERT INTO subscriptions (user_id, starts_at, ends_at, status, updated_at)"
        f" SELECT id, {starts}, {q.at(shape.now, ends)},"
        f" CASE WHEN id % 100 = 0 THEN 'active' ELSE 'expired' END, {starts}"
        " FROM users WHERE id % 50 = 0",
        "INSERT INTO reachability_changes (user_id, at, reachable)"
        f" SELECT id, last_seen_at, {q.boolean('1 = 0')} FROM users WHERE id % 50 = 7",
        "INSERT INTO streaks (user_id, current, best, last_completed_day)"
        " SELECT user_id, 1 + user_id % 21, 1 + user_id % 21 + user_id % 5, MAX(day)"
        " FROM mission_assignments WHERE status = 'done' GROUP BY user_id",
        "INSERT INTO balances (user_id, points, streak, streak_day)"
        " SELECT t.user_id, t.points, COALESCE(s.current, 0), s.last_completed_day"
        " FROM (SELECT user_id, SUM(amount) AS points FROM transactions GROUP BY user_id) AS t"
        " LEFT JOIN streaks AS s ON s.user_id = t.user_id",
        f"INSERT INTO installation (id, started_at) VALUES (1, {installed})",
    ]


def old_outbox_sql(shape: Shape, q: Dialect, rows: int) -> str:
    """``rows`` sent outbox rows 30 to 395 days old (past the 14 days kept), oldest last."""
    old = q.at(shape.now, f"-{30 * 86_400} - (i * 31536000 / {max(rows, 1)})")
    return (
        "INSERT INTO outbox (key, chat_id, user_id, category, method, payload, priority,"
        " status, attempts, next_attempt_at, created_at, sent_at, message_id)"
        f" SELECT 'old:' || i, 1 + i % {shape.users}, 1 + i % {shape.users}, 'mission',"
        f" 'sendMessage', {q.json(PAYLOAD)}, 20, 'sent', 1, {old}, {old}, {old}, i"
        f" FROM ({q.counter(rows)}) AS n"
    )


@asynccontextmanager
async def _session(db: Database) -> AsyncIterator[AsyncSession]:
    """A session (one transaction); on SQLite with a big page cache, which the bulk
    inserts into indexes need (the default 2 MB makes them several times slower), and no
    fsync at commit (a seeding that crashes is started again): a day at 100,000 users
    takes 2 s instead of 6."""
    async with db.session() as session:
        if db.is_sqlite:
            await session.execute(text("PRAGMA cache_size = -262144"))
            await session.execute(text("PRAGMA synchronous = OFF"))
        yield session


async def _schedules(db: Database, shape: Shape, q: Dialect) -> None:
    """Each user's two ``user_schedules`` rows, due at the next occurrence of their minute
    in their zone: the instants of every (zone, minute) pair are computed here (44,640 of
    them) and joined to the users in SQL."""
    from bot.core.people import user_times as schedules
    from bot.core.people import zones

    now = shape.now.replace(tzinfo=UTC)
    rows = []
    for zone in dict.fromkeys((*ZONES, BOT_ZONE)):
        tz = zones.resolve(zone)
        for minute in range(24 * 60):
            due = schedules.next_occurrence(schedules.wall_time(minute), tz, now)
            rows.append({"zone": zone, "minute": minute, "due": due.strftime(STAMP)})
    custom = "(id * 7919) % 1440"
    async with _session(db) as session:
        await session.execute(
            text("CREATE TEMPORARY TABLE seed_due (zone VARCHAR(64), minute INTEGER, due TEXT)")
        )
        await session.execute(
            text("INSERT INTO seed_due (zone, minute, due) VALUES (:zone, :minute, :due)"), rows
        )
        await session.execute(text("CREATE INDEX seed_due_zone ON seed_due (zone, minute)"))
        due_at = "d.due || '.000000'" if q.sqlite else "CAST(d.due AS TIMESTAMP)"
        for kind, default in DEFAULT_MINUTES.items():
            await session.execute(
                text(
                    "INSERT INTO user_schedules (user_id, kind, minute, due_at)"
                    f" SELECT u.id, '{kind}', CASE WHEN u.id % 5 = 0 THEN {custom} END, {due_at}"
                    f" FROM users AS u JOIN seed_due AS d ON d.zone = COALESCE(u.timezone,"
                    f" '{BOT_ZONE}') AND d.minute = CASE WHEN u.id % 5 = 0 THEN {custom}"
                    f" ELSE {default} END"
                )
            )
        await session.execute(text("DROP TABLE seed_due"))
        for kind, minute in DEFAULT_MINUTES.items():
            await schedules.record_default(session, kind, minute)


async def _snapshots(db: Database, shape: Shape) -> None:
    """The daily snapshots the report's trend reads (the figures of each past day)."""
    from bot.modules.analytics import service

    async with db.session() as session:
        for back in range(1, min(shape.days, 400) + 1):
            day = shape.now.date() - timedelta(days=back)
            total = shape.users * (JOIN_DAYS - back) // JOIN_DAYS
            figures = {
                "users_total": total,
                "users_reachable": total * 49 // 50,
                "users_new": shape.users // JOIN_DAYS,
                "missions_completed": total * 49 // 500,
            }
            await service.save_snapshot(session, day, figures, shape.now.replace(tzinfo=UTC))


async def analyze(db: Database) -> None:
    """Refresh the planner's statistics (PostgreSQL: and the visibility map)."""
    statement = "ANALYZE" if db.is_sqlite else "VACUUM ANALYZE"
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(statement))


async def add_old_outbox(db: Database, shape: Shape, rows: int) -> None:
    q = Dialect(db.engine.dialect.name)
    async with _session(db) as session:
        await session.execute(text(old_outbox_sql(shape, q, rows)))


async def seed(
    url: str,
    users: int,
    days: int = 7,
    *,
    now: datetime | None = None,
    old_outbox: int = 0,
    migrate: bool = True,
    say: bool = False,
) -> Shape:
    """Migrate ``url`` to head and fill it; returns the shape written."""
    from bot.app import load_models
    from bot.core.kernel.migrate import upgrade

    load_models()
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    shape = Shape(users, days, moment)
    began = time.perf_counter()

    def step(what: str) -> None:
        if say:
            print(f"  {time.perf_counter() - began:7.1f} s  {what}", flush=True)

    if migrate:
        await asyncio.to_thread(upgrade, url)
        step("migrated to head")
    db = Database(url)
    q = Dialect(db.engine.dialect.name)
    try:
        async with _session(db) as session:
            await session.execute(text(users_sql(shape, q)))
            missions = tuple(await session.scalars(text("SELECT id FROM missions ORDER BY id")))
            if not missions:
                for statement in missions_sql(shape, q):
                    await session.execute(text(statement))
                missions = tuple(range(1, MISSIONS + 1))
        step(f"{users:,} users")
        await _schedules(db, shape, q)
        step("their mission times")
        if old_outbox:  # before the history: the oldest rows have the lowest ids
            await add_old_outbox(db, shape, old_outbox)
            step(f"{old_outbox:,} old outbox rows")
        for back in range(days - 1, -1, -1):
            async with _session(db) as session:
                for statement in day_sql(shape, q, back, missions):
                    await session.execute(text(statement))
        step(f"{days} days of history")
        async with _session(db) as session:
            for back in range(min(max(days, ENGAGEMENT_DAYS), ACTIVITY_DAYS) - 1, -1, -1):
                await session.execute(text(active_sql(shape, q, back)))
        step("active days")
        async with _session(db) as session:
            for statement in people_sql(shape, q):
                await session.execute(text(statement))
        await _snapshots(db, shape)
        step("referrals, VIP, streaks, balances, snapshots")
        await analyze(db)
        step("analyzed")
    finally:
        await db.dispose()
    return shape


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seed", description=__doc__)
    parser.add_argument("--users", type=int, required=True, help="how many users")
    parser.add_argument("--database-url", default=None, help=f"default: {DEFAULT_URL}")
    parser.add_argument("--days", type=int, default=7, help="days of history (default 7)")
    parser.add_argument("--old-outbox", type=int, default=0, help="sent rows past retention")
    args = parser.parse_args(argv)
    from bot.core.kernel.db import ensure_sqlite_directory

    url = args.database_url or DEFAULT_URL
    ensure_sqlite_directory(url)
    print(f"seeding {args.users:,} users, {args.days} days of history into {url}", flush=True)
    asyncio.run(seed(url, args.users, args.days, old_outbox=args.old_outbox, say=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
