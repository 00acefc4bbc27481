"""The console benchmark's database: 100,000 users and 1,000,000 outbox rows (with what the
pages read beside them) written with a few bulk ``INSERT ... SELECT`` over a recursive
counter in stdlib sqlite3, in seconds, into the benchmark's own temporary database."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

USER_BASE = 1_000_000  # user ids are USER_BASE + 1 ...
BROADCASTS = 20
DAYS = 365
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a UTC datetime in SQLite


def _at(moment: datetime) -> str:
    return moment.strftime(STAMP)


def _counter(n: int) -> str:
    return f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) "


def fill(path: str, users: int, outbox: int, now: datetime | None = None) -> None:
    """Everything the console's pages read, sized like a busy bot's year."""
    now = now or datetime.now(UTC)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        _users(db, users, now)
        _outbox(db, users, outbox, now)
        _economy(db, users, now)
        _history(db, users, now)
        db.execute("ANALYZE")


def _users(db: sqlite3.Connection, users: int, now: datetime) -> None:
    """Users registered over the past year, one in ten with a username, one in 20 blocked."""
    first = now - timedelta(days=DAYS)
    seconds = int((now - first).total_seconds())
    db.execute(
        _counter(users) + "INSERT INTO users (id, username, first_name, language_code, "
        "reachable, unreachable_reason, created_at, last_seen_at) "
        "SELECT ? + i, CASE WHEN i % 10 = 0 THEN 'user' || i END, 'User ' || i, "
        "CASE WHEN i % 3 = 0 THEN 'uk' ELSE 'en' END, i % 20 != 0, "
        "CASE WHEN i % 20 = 0 THEN 'blocked' END, "
        "strftime('%Y-%m-%d %H:%M:%f', ?, '+' || (i * ? / ?) || ' seconds'), ? FROM n",
        (USER_BASE, first.strftime("%Y-%m-%d %H:%M:%S"), seconds, users, _at(now)),
    )


def _outbox(db: sqlite3.Connection, users: int, rows: int, now: datetime) -> None:
    """``rows`` outbox rows: BROADCASTS broadcasts to every user (the newest still sending:
    its last tenth pending, held to the morning), the rest missions and reminders, sent."""
    per = min(users, rows // (BROADCASTS + 1))
    payload = json.dumps({"text": "Companion news"})
    for number in range(1, BROADCASTS + 1):
        at = now - timedelta(days=(BROADCASTS - number) * 7)
        db.execute(
            "INSERT INTO broadcasts (id, text, created_by, created_at, total) "
            "VALUES (?, ?, ?, ?, ?)",
            (number, f"Broadcast {number}", USER_BASE + 1, _at(at), per),
        )
        last = number == BROADCASTS
        db.execute(
            _counter(per) + "INSERT INTO outbox (key, chat_id, user_id, category, method, "
            "payload, priority, status, attempts, next_attempt_at, created_at, sent_at, "
            "last_error) SELECT 'broadcast:' || ? || ':' || (? + i), ? + i, ? + i, "
            "'announcement', 'sendMessage', ?, 50, "
            "CASE WHEN ? AND i > ? THEN 'pending' WHEN i % 20 = 0 THEN 'failed' ELSE 'sent' END, "
            "1, ?, ?, ?, CASE WHEN i % 20 = 0 THEN 'Forbidden: bot was blocked by the user' END "
            "FROM n",
            (
                number,
                USER_BASE,
                USER_BASE,
                USER_BASE,
                payload,
                last,
                per * 9 // 10,
                _at(now + timedelta(hours=8)),
                _at(at),
                _at(at),
            ),
        )
    rest = rows - per * BROADCASTS
    db.execute(
        _counter(rest) + "INSERT INTO outbox (key, chat_id, user_id, category, method, "
        "payload, priority, status, attempts, next_attempt_at, created_at, sent_at) "
        "SELECT 'mission:' || i, ? + (i % ?) + 1, ? + (i % ?) + 1, 'mission', 'sendMessage', "
        "?, 20, 'sent', 1, ?, ?, ? FROM n",
        (USER_BASE, users, USER_BASE, users, payload, _at(now), _at(now), _at(now)),
    )


def _economy(db: sqlite3.Connection, users: int, now: datetime) -> None:
    """Two ledger entries and a balance per user, a streak, 2,000 Stars payments."""
    db.execute(
        _counter(users * 2) + "INSERT INTO transactions (user_id, amount, reason, reference, "
        "created_at) SELECT ? + (i + 1) / 2, 10, 'mission', 'm' || i, ? FROM n",
        (USER_BASE, _at(now)),
    )
    db.execute(
        _counter(users)
        + "INSERT INTO balances (user_id, points, streak) SELECT ? + i, 20, 1 FROM n",
        (USER_BASE,),
    )
    db.execute(
        _counter(users) + "INSERT INTO streaks (user_id, current, best, last_completed_day) "
        "SELECT ? + i, 1, 3, ? FROM n",
        (USER_BASE, now.date().isoformat()),
    )
    db.execute(
        _counter(2000) + "INSERT INTO vip_star_payments (charge_id, user_id, days, stars, "
        "created_at, state, granted_at) SELECT 'ch' || i, ? + i * 37, 30, 50, "
        "strftime('%Y-%m-%d %H:%M:%f', ?, '-' || (i * 4) || ' hours'), 'granted', "
        "strftime('%Y-%m-%d %H:%M:%f', ?, '-' || (i * 4) || ' hours') FROM n",
        (USER_BASE, now.strftime("%Y-%m-%d %H:%M:%S"), now.strftime("%Y-%m-%d %H:%M:%S")),
    )


def _history(db: sqlite3.Connection, users: int, now: datetime) -> None:
    """A year of daily snapshots, 20,000 job runs, 10,000 audit lines, 300 suggestions."""
    for back in range(1, DAYS):  # today's is the bot's own (quick_stats at start)
        day = now.date() - timedelta(days=back)
        figures = {
            "users_total": users - back * users // DAYS,
            "users_new": users // DAYS,
            "missions_completed": 1000 + back,
            "stars_revenue": 300,
        }
        db.execute(
            "INSERT INTO analytics_daily (day, figures, updated_at) VALUES (?, ?, ?)",
            (day.isoformat(), json.dumps(figures), _at(now)),
        )
    db.execute(
        _counter(20_000) + "INSERT INTO job_runs (job, scheduled_for, trigger, status, attempts, "
        "started_at, finished_at, duration, summary) SELECT "
        "CASE i % 4 WHEN 0 THEN 'analytics.quick_stats' WHEN 1 THEN 'missions.sweep' "
        "WHEN 2 THEN 'cleanup.daily' ELSE 'delivery.sweep' END, "
        "strftime('%Y-%m-%d %H:%M:%f', ?, '-' || i || ' minutes'), 'scheduled', 'succeeded', 1, "
        "strftime('%Y-%m-%d %H:%M:%f', ?, '-' || i || ' minutes'), "
        "strftime('%Y-%m-%d %H:%M:%f', ?, '-' || i || ' minutes'), 0.05, 'ok' FROM n",
        (now.strftime("%Y-%m-%d %H:%M:%S"),) * 3,
    )
    db.execute(
        _counter(10_000) + "INSERT INTO console_audit (at, user_id, action, target, result, "
        "detail) SELECT strftime('%Y-%m-%d %H:%M:%f', ?, '-' || i || ' minutes'), ?, "
        "'jobs.run', 'cleanup.daily', 'ok', NULL FROM n",
        (now.strftime("%Y-%m-%d %H:%M:%S"), USER_BASE + 1),
    )
    db.execute(
        _counter(300) + "INSERT INTO submissions (author_id, author_name, kind, text, "
        "content_hash, state, created_at) SELECT ? + i, 'User ' || i, 'text', "
        "'A suggestion number ' || i, hex(randomblob(16)), "
        "CASE WHEN i % 3 = 0 THEN 'pending' ELSE 'published' END, "
        "strftime('%Y-%m-%d %H:%M:%f', ?, '-' || i || ' hours') FROM n",
        (USER_BASE, now.strftime("%Y-%m-%d %H:%M:%S")),
    )
