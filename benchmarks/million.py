"""A million users: every path the issue names, measured on one seeded database, SQLite and
PostgreSQL, each figure beside its goal and a baseline taken in the same run.

``python -m benchmarks million`` (``make bench BENCH=million``); ``MILLION_USERS`` (default
1,000,000), ``MILLION_DB`` = ``sqlite``, ``postgres`` or ``both`` (default), ``MILLION_DAYS``
of history (default 2: yesterday, the daily report's, and today), ``MILLION_OLD_OUTBOX``
outbox rows past retention for cleanup (default 1,000,000), ``MILLION_YEAR_USERS`` users of
the simulated year (default 5,000).
PostgreSQL runs in a throw-away server (``tests/postgres.sh``). Every step on a database:

1. **Seed** it (``benchmarks/seed.py``) as of START, 06:50 UTC today: the bot's clock is a
   manual one set there, so 09:00 in Kyiv and Cairo (a twelfth of the users, most on the
   default mission time) falls ten minutes in.
2. **The sweeper** (``_million_sweep.py``, its own process): ``missions.sweep`` each simulated
   minute for TICKS minutes: each mission's delay from the user's local time to the outbox,
   CPU per minute, memory. Goal: p99 at most 60 s, at most 1 CPU-second a minute, memory
   flat. Baseline: the median minute.
3. **/stats, the daily report, the engagement roll-up**: ``analytics.service.refresh`` (what
   /stats computes when its cached figures are older than a minute), the
   ``analytics.daily_report`` job (no admin: no chart drawn), ``engagement.roll_up`` of
   yesterday; median of ROUNDS, each with the statements that took longest. Goal: at most 1
   s. Baseline: /stats answered from its cache.
4. **A broadcast to everyone**: ``broadcast.service.queue_broadcast`` with no audience, and the
   process's memory meanwhile. Goal: at most 10 s, flat. Baseline: the same rows written by
   one bare ``INSERT ... SELECT``.
5. **Cleanup** of MILLION_OLD_OUTBOX old outbox rows: the ``cleanup.daily`` job, while replies
   run beside it (``/balance``'s statement, then a one-row write, for one user after another);
   the longest read and write.
   Goal: at most 100 ms. Baseline: the same replies with nothing else running.
6. **Bytes on disk per user**, of this database (MILLION_DAYS of history) and of a simulated
   year (MILLION_YEAR_USERS users seeded with 365 days, everything the retention rules keep),
   with the largest tables.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from benchmarks.seed import seed

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("MILLION_USERS", "1000000"))
WHICH = os.environ.get("MILLION_DB", "both")
DAYS = int(os.environ.get("MILLION_DAYS", "2"))
OLD_OUTBOX = int(os.environ.get("MILLION_OLD_OUTBOX", "1000000"))
YEAR_USERS = int(os.environ.get("MILLION_YEAR_USERS", "5000"))
TICKS = int(os.environ.get("MILLION_TICKS", "30"))
# The steps to take after seeding (all by default), e.g. MILLION_STEPS=cleanup,year.
STEPS = os.environ.get("MILLION_STEPS", "sweeper,reports,broadcast,cleanup,year").split(",")
ROUNDS = 3
START = datetime.now(UTC).replace(hour=6, minute=50, second=0, microsecond=0)
TEXT = "Companion news: the winter season starts today."
REPLY_USERS = 2_000  # the replies beside cleanup ask for these users' balances in turn
Figures = dict[str, Any]
T = TypeVar("T")


# -- measuring ------------------------------------------------------------------------------
@contextmanager
def statements(engine: Any) -> Iterator[list[tuple[float, str]]]:
    """Each statement run on ``engine`` meanwhile: (seconds, its first line)."""
    found: list[tuple[float, str]] = []
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        began = started.pop(id(cursor), None)
        if began is not None:
            found.append((time.perf_counter() - began, " ".join(statement.split())[:150]))

    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", before)
    event.listen(sync, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(sync, "before_cursor_execute", before)
        event.remove(sync, "after_cursor_execute", after)


async def _timed(call: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    started = time.perf_counter()
    result = await call()
    return time.perf_counter() - started, result


async def _median(services: Any, call: Callable[[], Awaitable[Any]]) -> Figures:
    """``call`` ROUNDS times: the median seconds and the slowest statements of the first."""
    times = []
    top: list[tuple[float, str]] = []
    for round_ in range(ROUNDS):
        with statements(services.db.engine) as found:
            seconds, _result = await _timed(call)
        times.append(seconds)
        if round_ == 0:
            top = sorted(found, reverse=True)[:3]
    return {"seconds": statistics.median(times), "top": top}


def _settings(url: str, folder: Path) -> Any:
    from benchmarks._million_sweep import settings

    return settings(url, media_dir=folder / "media")


# -- the steps ------------------------------------------------------------------------------
def _sweeper(url: str) -> Figures:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._million_sweep", url, START.isoformat(), str(TICKS)],
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=ROOT,
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    result: Figures = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def _reports(services: Any, bot: Any) -> Figures:
    from bot.core.jobs import JobContext, Trigger
    from bot.modules.analytics import engagement, jobs
    from bot.modules.analytics import service as analytics

    tz = services.settings.tz
    yesterday = services.clock.today(tz) - timedelta(days=1)
    steps = services.stats.funnel()

    async def roll_up() -> None:
        async with services.db.session() as session:
            figures = await engagement.roll_up(session, steps, yesterday, tz)
            await engagement.save(session, yesterday, figures, services.clock.now())

    async def report() -> None:
        ctx = JobContext(
            services, bot, "analytics.daily_report", Trigger.SCHEDULED, services.clock.now()
        )
        await jobs.daily_report(ctx)

    found: Figures = {"roll-up": await _median(services, roll_up)}
    found["/stats, computed"] = await _median(services, lambda: analytics.refresh(services))
    found["/stats, cached (baseline)"] = await _median(
        services, lambda: analytics.cached_or_fresh(services)
    )
    found["daily report"] = await _median(services, report)
    return found


async def _broadcast(services: Any, _bot: Any) -> Figures:
    from benchmarks.campaigns import _Memory
    from bot.modules.broadcast import service as broadcasts

    db = services.db
    bare = (
        "INSERT INTO outbox (key, chat_id, user_id, category, method, payload, priority,"
        " status, attempts, next_attempt_at, created_at)"
        " SELECT 'bare:' || id, id, id, 'announcement', 'sendMessage', "
        + ("'{}'" if db.is_sqlite else "CAST('{}' AS JSON)")
        + ", 50, 'pending', 0, created_at, created_at FROM users WHERE reachable"
    )

    async def plain() -> None:
        async with db.session() as session:
            await session.execute(text(bare))

    async def everyone() -> int:
        async with db.session() as session:
            queued = await broadcasts.queue_broadcast(
                session, text=TEXT, admin_id=1, now=services.clock.now()
            )
        return queued.total

    baseline, _none = await _timed(plain)
    await _clear_pending(db)
    with _Memory() as memory:
        seconds, total = await _timed(everyone)
    await _clear_pending(db)
    return {
        "seconds": seconds,
        "rows": total,
        "baseline_s": baseline,
        "rss_growth_mb": memory.growth,
        "traced_peak_mb": memory.traced,
    }


async def _clear_pending(db: Any) -> None:
    async with db.session() as session:
        await session.execute(text("DELETE FROM outbox WHERE status = 'pending'"))


async def _replies(services: Any, stop: asyncio.Event) -> tuple[list[float], list[float]]:
    """Until ``stop``, for one user after another: ``/balance``'s statement (a read), then a
    small write (their ``last_seen_at``, as an update from them writes), each in ms."""
    from bot.modules.economy.service import statement

    today = services.clock.today(services.settings.tz)
    touch = text("UPDATE users SET last_seen_at = last_seen_at WHERE id = :id")
    reads: list[float] = []
    writes: list[float] = []
    user = 0
    while not stop.is_set():
        user = user % REPLY_USERS + 1
        user_id = user * (USERS // REPLY_USERS)
        started = time.perf_counter()
        async with services.db.session() as session:
            await statement(session, user_id, today)
        reads.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        async with services.db.session() as session:
            await session.execute(touch, {"id": user_id})
        writes.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.005)  # a reply a few milliseconds apart, as users ask
    return reads, writes


def _spread(name: str, times: list[float]) -> Figures:
    ordered = sorted(times)
    return {
        f"{name}_ms_max": ordered[-1],
        f"{name}_ms_p99": ordered[int(0.99 * (len(ordered) - 1))],
    }


async def _cleanup(services: Any, bot: Any) -> Figures:
    from bot.core.jobs import JobContext, Trigger
    from bot.modules.cleanup import jobs

    db = services.db
    stop = asyncio.Event()
    quiet = asyncio.create_task(_replies(services, stop))
    await asyncio.sleep(3)
    stop.set()
    alone_reads, alone_writes = await quiet
    stop = asyncio.Event()
    replies = asyncio.create_task(_replies(services, stop))
    ctx = JobContext(services, bot, "cleanup.daily", Trigger.SCHEDULED, services.clock.now())
    with statements(db.engine) as found:
        seconds, summary = await _timed(lambda: jobs.daily(ctx))
    stop.set()
    reads, writes = await replies
    deletes = sorted(s for s, sql in found if sql.startswith("DELETE FROM outbox"))
    return {
        "rows": OLD_OUTBOX,
        "seconds": seconds,
        "summary": str(summary),
        "batches": len(deletes),
        "batch_ms_median": statistics.median(deletes) * 1000 if deletes else 0.0,
        "batch_ms_max": max(deletes) * 1000 if deletes else 0.0,
        "replies": len(reads),
        **_spread("reply", reads),
        **_spread("write", writes),
        **_spread("baseline", alone_reads),
        **_spread("baseline_write", alone_writes),
    }


async def sizes(db: Any) -> Figures:
    """The database's bytes on disk and its five largest tables (with their indexes)."""
    from bot.modules.cleanup.service import database_size

    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if db.is_sqlite:
            await autocommit.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            rows = await autocommit.execute(
                text(
                    "SELECT COALESCE(m.tbl_name, s.name), SUM(s.pgsize) FROM dbstat AS s"
                    " LEFT JOIN sqlite_master AS m ON m.name = s.name"
                    " GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
                )
            )
        else:
            rows = await autocommit.execute(
                text(
                    "SELECT tablename, pg_total_relation_size(quote_ident(tablename))"
                    " FROM pg_tables WHERE schemaname = 'public' ORDER BY 2 DESC LIMIT 5"
                )
            )
        tables = [(str(name), int(size)) for name, size in rows.all()]
    return {"bytes": await database_size(db), "tables": tables}


async def _year(url: str) -> Figures:
    """A separate database of YEAR_USERS users and 365 days: its bytes per user."""
    from bot.core.kernel.db import Database

    seconds, _ = await _timed(lambda: seed(url, YEAR_USERS, 365, now=START))
    db = Database(url)
    try:
        found = await sizes(db)
    finally:
        await db.dispose()
    return {"seconds": seconds, **found}


async def measure(url: str, year_url: str, name: str, folder: Path) -> Figures:
    from bot.app import build_application
    from bot.core.context import services_of
    from bot.core.kernel.clock import ManualClock

    print(f"{name}: seeding {USERS:,} users, {DAYS} days of history", flush=True)
    seeded, _ = await _timed(
        lambda: seed(url, USERS, DAYS, now=START, old_outbox=OLD_OUTBOX, say=True)
    )
    figures: Figures = {"engine": name, "users": USERS, "seeded_s": seeded}
    if "sweeper" in STEPS:
        figures["sweeper"] = _sweeper(url)
        print(f"  sweeper: {figures['sweeper']}", flush=True)
    clock = ManualClock(START + timedelta(minutes=TICKS))
    app = build_application(_settings(url, folder), clock=clock)
    services = services_of(app)
    try:
        figures["size"] = await sizes(services.db)
        print(f"  size: {figures['size']}", flush=True)
        steps = {"reports": _reports, "broadcast": _broadcast, "cleanup": _cleanup}
        for step, run in steps.items():
            if step in STEPS:
                figures[step] = await run(services, app.bot)
                print(f"  {step}: {figures[step]}", flush=True)
    finally:
        await services.db.dispose()
    if "year" in STEPS:
        figures["year"] = await _year(year_url)
        print(f"  year: {figures['year']}", flush=True)
    return figures


# -- printing -------------------------------------------------------------------------------
def _mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


def report(figures: Figures) -> None:
    users = figures["users"]
    lines = [
        f"### {figures['engine']}, {users:,} users (seeded in {figures['seeded_s']:.0f} s)",
        "",
        "| path | measured | goal | baseline (same run) |",
        "|---|---:|---:|---:|",
    ]
    if "sweeper" in figures:
        sweep = figures["sweeper"]
        lines += [
            f"| sweeper: local time → outbox, p99 / max ({sweep['missions']:,} missions in"
            f" {sweep['ticks']} min) | {sweep['p99_delay_s']:.1f} / {sweep['max_delay_s']:.1f} s"
            f" | ≤ 60 s | median {sweep['p50_delay_s']:.1f} s |",
            f"| sweeper: CPU a minute, mean / max (longest run {sweep['run_s_max']:.1f} s) |"
            f" {sweep['cpu_s_per_minute_mean']:.2f} / {sweep['cpu_s_per_minute_max']:.2f} s"
            f" | ≤ 1 s | median minute {sweep['cpu_s_per_minute_median']:.2f} s |",
            f"| sweeper: memory before / peak / after | {sweep['rss_mb_before']:.0f} /"
            f" {sweep['rss_mb_peak']:.0f} / {sweep['rss_mb_after']:.0f} MB | flat | |",
        ]
    if "reports" in figures:
        reports = figures["reports"]
        base = reports["/stats, cached (baseline)"]["seconds"] * 1000
        for label in ("/stats, computed", "daily report", "roll-up"):
            seconds = reports[label]["seconds"]
            lines.append(
                f"| {label} (median of {ROUNDS}) | {seconds * 1000:,.0f} ms | ≤ 1,000 ms"
                f" | cached /stats {base:.2f} ms |"
            )
    if "broadcast" in figures:
        broadcast = figures["broadcast"]
        lines += [
            f"| broadcast to everyone queued ({broadcast['rows']:,} rows) |"
            f" {broadcast['seconds']:.1f} s | ≤ 10 s | bare INSERT ... SELECT"
            f" {broadcast['baseline_s']:.1f} s |",
            f"| broadcast: memory meanwhile (RSS growth; traced peak) |"
            f" +{broadcast['rss_growth_mb']:.1f} MB; {broadcast['traced_peak_mb']:.2f} MB"
            " | flat | |",
        ]
    if "cleanup" in figures:
        cleanup = figures["cleanup"]
        ten_million = cleanup["seconds"] * 10_000_000 / cleanup["rows"]
        lines += [
            f"| cleanup of {cleanup['rows']:,} old outbox rows ({cleanup['batches']:,} batches,"
            f" median / max {cleanup['batch_ms_median']:.0f} / {cleanup['batch_ms_max']:.0f} ms)"
            f" | {cleanup['seconds']:.0f} s (10,000,000 at that rate: {ten_million / 60:.0f} min)"
            " | | |",
            f"| a reply during cleanup, max / p99 ({cleanup['replies']:,}) |"
            f" {cleanup['reply_ms_max']:.0f} / {cleanup['reply_ms_p99']:.0f} ms | ≤ 100 ms"
            f" | alone {cleanup['baseline_ms_max']:.0f} / {cleanup['baseline_ms_p99']:.0f} ms |",
            f"| a small write during cleanup, max / p99 ({cleanup['replies']:,}) |"
            f" {cleanup['write_ms_max']:.0f} / {cleanup['write_ms_p99']:.0f} ms | ≤ 100 ms"
            f" | alone {cleanup['baseline_write_ms_max']:.0f} /"
            f" {cleanup['baseline_write_ms_p99']:.0f} ms |",
        ]
    size = figures["size"]
    lines.append(
        f"| bytes on disk per user: {DAYS} days of history and {OLD_OUTBOX:,} old outbox rows"
        f" | {size['bytes'] / users:,.0f} B ({_mb(size['bytes'])}) | | |"
    )
    if "year" in figures:
        year = figures["year"]
        lines.append(
            f"| bytes on disk per user after a simulated year ({YEAR_USERS:,} users) |"
            f" {year['bytes'] / YEAR_USERS:,.0f} B ({_mb(year['bytes'])}) | | |"
        )
    lines += [
        "",
        "Largest tables (with indexes), this database: "
        + ", ".join(f"{name} {_mb(b)}" for name, b in size["tables"]),
    ]
    if "year" in figures:
        lines.append(
            "Largest tables after a year: "
            + ", ".join(f"{name} {b / YEAR_USERS:,.0f} B/user" for name, b in year["tables"])
        )
    if "reports" in figures:
        lines += ["", "Slowest statements (first round):"]
        for label in ("/stats, computed", "daily report", "roll-up"):
            for seconds, sql in figures["reports"][label]["top"]:
                lines.append(f"- {label}: {seconds * 1000:,.0f} ms `{sql}`")
    print("\n".join(lines), flush=True)


async def main() -> None:
    """SQLite in a temporary folder; PostgreSQL in a throw-away server: this benchmark again
    under ``tests/postgres.sh``, which runs the PostgreSQL half only."""
    from bot.core.kernel.logging import configure_logging

    configure_logging("WARNING", "console")
    server = os.environ.get("COMPANION_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if server:
            year = make_url(server).set(database="million_year")
            await _create_database(server, "million_year")
            report(await measure(server, year.render_as_string(False), "PostgreSQL", folder))
            return
        if WHICH in ("sqlite", "both"):
            url = f"sqlite+aiosqlite:///{folder / 'million.sqlite3'}"
            year_url = f"sqlite+aiosqlite:///{folder / 'year.sqlite3'}"
            report(await measure(url, year_url, "SQLite", folder))
    if WHICH in ("postgres", "both"):
        script = ROOT / "tests" / "postgres.sh"
        command = ["bash", str(script), sys.executable, "-m", "benchmarks", "million"]
        await asyncio.to_thread(subprocess.run, command, cwd=ROOT, check=True)


async def _create_database(server: str, name: str) -> None:
    from bot.core.kernel.db import Database

    db = Database(server)
    try:
        async with db.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await autocommit.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
