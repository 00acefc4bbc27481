"""The child processes of the sweeper benchmark; each prints one JSON line.

``populate DB N``: N users spread over zones and minutes of the day, with their rows.
``sweep DB``: missions.sweep once a simulated minute for TICKS minutes (a manual clock),
reporting the delay from each user's local time to their outbox row, CPU and memory.
``jobqueue N``: the alternative, one JobQueue ``run_daily`` job per user: start-up, memory.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from typing import Any

from sqlalchemy import insert, select

ZONES = (
    "Europe/Kyiv",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "Africa/Lagos",
    "Asia/Tehran",
    "America/St_Johns",
    "UTC",
    "UTC+05:45",
    "UTC-03:30",
)
START = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
TICKS = 120  # simulated minutes swept
CHUNK = 10_000


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _settings(db: str) -> Any:
    from bot.settings import CompanionSettings

    return CompanionSettings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{db}",
        bot_token="123456:BENCH",
        log_level="WARNING",
        timezone="Europe/Kyiv",
        telegram_api_base_url="http://127.0.0.1:9/bot",
    )


def _users(count: int) -> list[tuple[int, str, int]]:
    rng = random.Random(19)
    return [(1000 + i, rng.choice(ZONES), rng.randrange(24 * 60)) for i in range(count)]


async def populate(db: str, count: int) -> dict[str, Any]:
    from bot.core.kernel.db import Database
    from bot.core.kernel.migrate import upgrade
    from bot.core.people import user_times as schedules
    from bot.core.people import zones
    from bot.core.people.users import User

    await asyncio.to_thread(upgrade, _settings(db).database_url)
    database = Database(_settings(db).database_url)
    for start in range(0, count, CHUNK):
        chunk = _users(count)[start : start + CHUNK]
        joined = START - timedelta(days=1)
        users = [
            {
                "id": u,
                "first_name": "U",
                "reachable": True,
                "timezone": z,
                "created_at": joined,
                "last_seen_at": START,
            }
            for u, z, _ in chunk
        ]
        rows = [
            {
                "user_id": u,
                "kind": kind,
                "minute": m,
                "due_at": schedules.next_occurrence(
                    schedules.wall_time(m), zones.resolve(z), START - timedelta(seconds=1)
                ),
            }
            for u, z, m in chunk
            for kind in ("mission", "streak_risk")
        ]
        async with database.session() as session:
            await session.execute(insert(User), users)
            await session.execute(insert(schedules.UserSchedule), rows)
    async with database.session() as session:  # recorded, as in a deployment already running
        for kind, minute in _defaults().items():
            await schedules.record_default(session, kind, minute)
    await database.dispose()
    return {"users": count}


def _defaults() -> dict[str, int]:
    """Each kind's default minute of the day with the default settings (09:00, 21:00)."""
    from bot.core.jobs import DailyAt
    from bot.core.people import user_times as schedules
    from bot.modules.missions import times
    from bot.modules.missions.jobs import JOBS

    [daily] = [spec.schedule for spec in JOBS if spec.name == "missions.send_daily"]
    assert isinstance(daily, DailyAt)
    at = {times.MISSION: daily.at, times.STREAK_RISK: times.STREAK_RISK_AT}
    return {kind: schedules.minute_of(t) for kind, t in at.items()}


async def sweep(db: str) -> dict[str, Any]:
    from bot.app import build_application
    from bot.core.context import services_of
    from bot.core.jobs import JobContext
    from bot.core.kernel.clock import ManualClock
    from bot.core.people.user_times import UserSchedule
    from bot.modules.missions.sweeper import sweep as run_sweep

    clock = ManualClock(START)
    app = build_application(_settings(db), clock=clock)
    services = services_of(app)
    delays: list[float] = []
    cpu: list[float] = []
    rss_before = _rss_mb()
    for tick in range(TICKS):
        clock.set(START + timedelta(minutes=tick))
        async with services.db.session() as session:
            due = list(
                await session.scalars(
                    select(UserSchedule.due_at).where(
                        UserSchedule.kind == "mission", UserSchedule.due_at <= clock.now()
                    )
                )
            )
        ctx = JobContext(services, app.bot, "missions.sweep", "scheduled", clock.now())
        started, cpu_start = time.perf_counter(), time.process_time()
        await run_sweep(ctx)
        elapsed = time.perf_counter() - started
        cpu.append((time.process_time() - cpu_start) * 1000)
        delays += [(clock.now() - d).total_seconds() + elapsed for d in due]
    await services.db.dispose()
    delays.sort()
    return {
        "p99_delay_s": delays[int(0.99 * (len(delays) - 1))] if delays else 0.0,
        "max_delay_s": delays[-1] if delays else 0.0,
        "missions": len(delays),
        "cpu_ms_per_minute_mean": sum(cpu) / len(cpu),
        "cpu_ms_per_minute_max": max(cpu),
        "rss_mb_before": rss_before,
        "rss_mb_after": _rss_mb(),
    }


async def jobqueue(count: int) -> dict[str, Any]:
    import logging

    from telegram.ext import ApplicationBuilder

    from bot.core.people import zones

    async def callback(context: Any) -> None:  # never reached: no job is due in the test
        return None

    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # jobs due during start-up
    rss_before = _rss_mb()
    started = time.perf_counter()
    app = ApplicationBuilder().token("123456:BENCH").build()
    assert app.job_queue is not None
    for user_id, zone, minute in _users(count):
        at = wall(minute // 60, minute % 60, tzinfo=zones.resolve(zone))
        app.job_queue.run_daily(callback, at, name=str(user_id), user_id=user_id)
    await app.job_queue.start()
    elapsed = time.perf_counter() - started
    result = {"startup_s": elapsed, "rss_mb_before": rss_before, "rss_mb_after": _rss_mb()}
    await app.job_queue.stop(wait=False)
    return result


def main(argv: list[str]) -> None:
    from bot.core.kernel.logging import configure_logging

    configure_logging("WARNING", "console")
    command, args = argv[0], argv[1:]
    if command == "populate":
        result = asyncio.run(populate(args[0], int(args[1])))
    elif command == "sweep":
        result = asyncio.run(sweep(args[0]))
    else:
        result = asyncio.run(jobqueue(int(args[0])))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
