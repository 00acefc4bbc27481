"""The sweeper at a million users, in its own process (its memory is this process's): ``python
-m benchmarks._million_sweep URL START TICKS`` runs ``missions.sweep`` once a simulated minute
from START (ISO, UTC) on a manual clock, over the database the seeder wrote with that time as
its "now", and prints one JSON line.

Each mission row's delay is the time from its ``due_at`` (the user's local time) to the end of
the run that queued it: the simulated minutes it waited plus that run's own duration. A row
still due after a run (the run's batches were used up) waits for the next minute. CPU is this
process's (SQLite's thread included) and, on PostgreSQL, the server's backends' too.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def settings(url: str, **more: Any) -> Any:
    """The bot's settings for the million benchmarks on ``url`` (``more``: others to set)."""
    from bot.settings import CompanionSettings

    return CompanionSettings(
        _env_file=None,
        database_url=url,
        bot_token="123456:MILLION",
        log_level="WARNING",
        timezone="UTC",
        telegram_api_base_url="http://127.0.0.1:9/bot",
        **more,
    )


async def _server_cpu(session: Any) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving this database."""
    pids = await session.scalars(
        text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    )
    return _cpu_of(list(pids))


def _cpu_of(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


async def sweep(url: str, start: datetime, ticks: int) -> dict[str, Any]:
    from bot.app import build_application
    from bot.core.context import services_of
    from bot.core.jobs import JobContext, Trigger
    from bot.core.kernel.clock import ManualClock
    from bot.core.people.user_times import UserSchedule
    from bot.modules.missions.sweeper import sweep as run_sweep

    clock = ManualClock(start)
    app = build_application(settings(url), clock=clock)
    services = services_of(app)
    postgres = not services.db.is_sqlite
    due_query = select(UserSchedule.user_id, UserSchedule.due_at).where(
        UserSchedule.kind == "mission"
    )
    delays: list[float] = []
    cpu: list[float] = []
    seconds: list[float] = []
    backlog: list[int] = []
    rss_before = rss_mb()
    rss_peak = rss_before
    for tick in range(ticks):
        now = start + timedelta(minutes=tick)
        clock.set(now)
        query = due_query.where(UserSchedule.due_at <= now)
        async with services.db.session() as session:
            due = {user: at for user, at in (await session.execute(query)).all()}
            server = await _server_cpu(session) if postgres else 0.0
        ctx = JobContext(services, app.bot, "missions.sweep", Trigger.SCHEDULED, now)
        started, cpu_start = time.perf_counter(), time.process_time()
        await run_sweep(ctx)
        elapsed = time.perf_counter() - started
        used = time.process_time() - cpu_start
        async with services.db.session() as session:
            left = {user for user, _at in (await session.execute(query)).all()}
            if postgres:
                used += await _server_cpu(session) - server
        delays += [
            (now - at).total_seconds() + elapsed for user, at in due.items() if user not in left
        ]
        cpu.append(used)
        seconds.append(elapsed)
        backlog.append(len(left))
        rss_peak = max(rss_peak, rss_mb())
    await services.db.dispose()
    delays.sort()
    return {
        "ticks": ticks,
        "missions": len(delays),
        "p50_delay_s": delays[len(delays) // 2] if delays else 0.0,
        "p99_delay_s": delays[int(0.99 * (len(delays) - 1))] if delays else 0.0,
        "max_delay_s": delays[-1] if delays else 0.0,
        "cpu_s_per_minute_mean": sum(cpu) / len(cpu),
        "cpu_s_per_minute_median": sorted(cpu)[len(cpu) // 2],
        "cpu_s_per_minute_max": max(cpu),
        "run_s_max": max(seconds),
        "left_due_max": max(backlog),
        "rss_mb_before": rss_before,
        "rss_mb_peak": rss_peak,
        "rss_mb_after": rss_mb(),
    }


def main(argv: list[str]) -> None:
    from bot.core.kernel.logging import configure_logging

    configure_logging("WARNING", "console")
    url, start, ticks = argv[0], datetime.fromisoformat(argv[1]), int(argv[2])
    print(json.dumps(asyncio.run(sweep(url, start, ticks))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
