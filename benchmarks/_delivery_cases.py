"""The processes behind ``benchmarks/delivery.py``: one case per process, one JSON line out.

``python -m benchmarks._delivery_cases CASE ARGS...``. Each case runs in its own
process so that its memory figures are its own; the last line it prints on
stdout is its result as JSON (logs go to stderr).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from telegram import Bot
from telegram.error import Forbidden
from telegram.ext import AIORateLimiter, ApplicationBuilder

from bot.app import build_application
from bot.core.context import services_of
from bot.core.delivery import OutboxMessage
from bot.core.kernel.db import Database
from bot.core.kernel.events import MessageDelivered
from bot.core.kernel.logging import configure_logging
from bot.core.kernel.migrate import upgrade
from bot.core.kernel.settings import Settings
from bot.core.lifecycle import serving
from bot.modules.broadcast import service as broadcast
from bot.sandbox import FloodLimits, SandboxServer, SentMessage
from bot.settings import CompanionSettings

ADMIN = 1
TOKEN = "123456:BENCH-token"
TEXT = "Companion news: the summer season starts today."
CHAT_BASE = 1_000_000  # audience and outbox chat ids are CHAT_BASE + 1, + 2, ...
Result = dict[str, Any]


# -- helpers --------------------------------------------------------------------------
def settings_for(folder: Path, base_url: str, **extra: Any) -> Settings:
    """Settings isolated from the environment, on ``folder/bench.sqlite3``."""
    return CompanionSettings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{folder}/bench.sqlite3",
        telegram_api_base_url=base_url,
        bot_token=TOKEN,
        admin_ids=str(ADMIN),
        log_level="WARNING",
        media_dir=folder / "media",
        **extra,
    )


def audience(users: int) -> range:
    return range(CHAT_BASE + 1, CHAT_BASE + users + 1)


def blocked_among(users: int, blocked_every: int) -> set[int]:
    """Every ``blocked_every``-th user of the audience has blocked the bot."""
    return {uid for uid in audience(users) if (uid - CHAT_BASE) % blocked_every == 0}


def rss_mb() -> float:
    """Resident memory of this process now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pin_to_cpu(index: int) -> None:
    """Run this process on one core (the ``index``-th allowed one)."""
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[index % len(cpus)]})


def populate(sandbox: SandboxServer, chat_ids: Iterable[int], blocked: set[int]) -> None:
    for chat_id in chat_ids:
        sandbox.world.user(chat_id).blocked = chat_id in blocked


def stamp_deliveries(sandbox: SandboxServer) -> list[float]:
    """Arrival times of every message the sandbox records from now on."""
    stamps: list[float] = []

    def on_message(_message: SentMessage) -> None:
        stamps.append(time.monotonic())

    sandbox.world.listeners.append(on_message)
    return stamps


def exactly_once(sandbox: SandboxServer, users: int, blocked: set[int]) -> Result:
    """Per reachable chat: how many got it once, none (lost) or more (duplicates)."""
    counts = Counter(m.chat_id for m in sandbox.world.messages)
    reachable = [uid for uid in audience(users) if uid not in blocked]
    return {
        "reachable": len(reachable),
        "once": sum(1 for uid in reachable if counts[uid] == 1),
        "lost": sum(1 for uid in reachable if counts[uid] == 0),
        "duplicates": sum(max(0, counts[uid] - 1) for uid in reachable),
        "to_blocked": sum(counts[uid] for uid in blocked),
        "too_many_requests": sandbox.stats["429"],
        "forbidden": sandbox.stats["403"],
    }


def span(stamps: list[float]) -> tuple[float, float]:
    """Seconds from the first to the last message, and messages per second over it."""
    if len(stamps) < 2:
        return 0.0, 0.0
    seconds = stamps[-1] - stamps[0]
    return seconds, (len(stamps) - 1) / seconds


def timing(stamps: list[float], started: float, finished: float) -> Result:
    """First-to-last rate, and the whole broadcast's duration (start of sending to done)."""
    seconds, rate = span(stamps)
    return {"seconds": seconds, "rate": rate, "wall": finished - started}


async def poll(predicate: Callable[[], Awaitable[bool]], timeout: float, every: float) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done within {timeout:.0f} s")
        await asyncio.sleep(every)


# -- 1. a broadcast under Telegram's limits ---------------------------------------------
async def companion_broadcast(users: int, blocked_every: int) -> Result:
    """/broadcast's INSERT ... SELECT, drained by the running bot's outbox sender."""
    configure_logging("WARNING")
    sandbox = SandboxServer()
    base_url = await sandbox.start()
    blocked = blocked_among(users, blocked_every)
    populate(sandbox, audience(users), blocked)
    with tempfile.TemporaryDirectory() as name:
        settings = settings_for(Path(name), base_url)
        await asyncio.to_thread(upgrade, settings.database_url)
        await asyncio.to_thread(fill_users, settings.database_url, users)
        stamps = stamp_deliveries(sandbox)
        app = build_application(settings, modules=("broadcast",))
        async with serving(app, poll_timeout=1):
            services = services_of(app)
            started = time.monotonic()
            async with services.db.session() as session:
                queued = await broadcast.queue_broadcast(
                    session, text=TEXT, admin_id=ADMIN, now=services.clock.now()
                )

            async def finished() -> bool:
                async with services.db.session() as session:
                    return (await broadcast.progress(session, queued)).done

            await poll(finished, timeout=users / 10 + 60, every=0.2)
            done = time.monotonic()
    await sandbox.stop()
    return {**exactly_once(sandbox, users, blocked), **timing(stamps, started, done)}


async def _ptb_send(bot: Bot, chat_id: int) -> str:
    """What a typical PTB bot does per recipient: send, and skip users who blocked it."""
    try:
        await bot.send_message(chat_id, TEXT)
    except Forbidden:
        return "forbidden"
    return "sent"


async def ptb_broadcast(users: int, blocked_every: int, max_retries: int) -> Result:
    """A plain PTB bot with ``AIORateLimiter``: one ``gather`` of ``send_message`` calls."""
    logging.getLogger("telegram").setLevel(logging.CRITICAL)  # one traceback per lost message
    sandbox = SandboxServer()
    base_url = await sandbox.start()
    blocked = blocked_among(users, blocked_every)
    populate(sandbox, audience(users), blocked)
    stamps = stamp_deliveries(sandbox)
    limiter = AIORateLimiter(max_retries=max_retries)
    app = ApplicationBuilder().token(TOKEN).base_url(base_url).rate_limiter(limiter).build()
    async with app:
        started = time.monotonic()
        sends = [_ptb_send(app.bot, uid) for uid in audience(users)]
        outcomes = await asyncio.gather(*sends, return_exceptions=True)
        done = time.monotonic()
    await sandbox.stop()
    raised = Counter(type(o).__name__ for o in outcomes if isinstance(o, BaseException))
    return {
        **exactly_once(sandbox, users, blocked),
        **timing(stamps, started, done),
        "raised": dict(raised),
    }


# -- 2. the outbox drained with the limits lifted -----------------------------------------
async def sandbox_lifted(first: int, count: int) -> None:
    """A sandbox without flood limits, serving until stdin closes; prints its URL first."""
    pin_to_cpu(-1)
    sandbox = SandboxServer(limits=FloodLimits.lifted())
    populate(sandbox, range(first, first + count), set())
    print(json.dumps({"base_url": await sandbox.start()}), flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await sandbox.stop()
    served = {"stats": dict(sandbox.stats), "messages": len(sandbox.world.messages)}
    print(json.dumps({**served, "cpu": cpu_seconds()}))


async def drain(folder: str, base_url: str, target: int, client: str = "aiohttp") -> Result:
    """Run the bot on a prepared outbox (paid lane) until ``target`` rows are delivered,
    its Bot API calls made with ``client`` (``TELEGRAM_HTTP_CLIENT``)."""
    pin_to_cpu(0)
    configure_logging("WARNING")
    settings = settings_for(
        Path(folder), base_url, allow_paid_broadcast=True, telegram_http_client=client
    )
    app = build_application(settings, modules=("broadcast",))
    services = services_of(app)
    stamps: list[float] = []
    reached = asyncio.Event()

    async def delivered(_event: MessageDelivered) -> None:
        stamps.append(time.monotonic())
        if len(stamps) == target:
            reached.set()

    services.bus.subscribe(MessageDelivered, delivered)
    rss_before, cpu_before = rss_mb(), cpu_seconds()
    samples: list[float] = []
    async with serving(app, poll_timeout=1):
        sampler = asyncio.create_task(sample_rss(samples))
        await asyncio.wait_for(reached.wait(), timeout=target / 50 + 60)
        cpu = cpu_seconds() - cpu_before
        sampler.cancel()
    seconds, rate = span(stamps[:target])
    return {
        "seconds": seconds,
        "rate": rate,
        "cpu_per_1000": cpu / len(stamps) * 1000,
        "rss_before": rss_before,
        "rss_after": samples[-1],
        "rss_max": max(samples),
        "rss_peak": peak_rss_mb(),
    }


async def sample_rss(samples: list[float], every: float = 0.05) -> None:
    """Resident memory every ``every`` seconds, appended to ``samples``."""
    while True:
        samples.append(rss_mb())
        await asyncio.sleep(every)


# -- 3. queuing a broadcast ------------------------------------------------------------
async def queue(folder: str, users: int) -> Result:
    """``queue_broadcast`` (the statement /broadcast runs) for ``users`` reachable users."""
    settings = settings_for(Path(folder), "http://127.0.0.1:9/bot")
    db = Database(settings.database_url)
    async with db.session() as session:  # open the connection before measuring
        await session.execute(select(1))
    rss_before = rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    async with db.session() as session:
        queued = await broadcast.queue_broadcast(
            session, text=TEXT, admin_id=ADMIN, now=datetime.now(UTC)
        )
    seconds = time.perf_counter() - started
    rss_after = rss_mb()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    async with db.session() as session:
        rows = int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    await db.dispose()
    return {
        "queued": queued.total,
        "rows": rows,
        "seconds": seconds,
        "traced_peak": traced_peak / 2**20,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "rss_peak": peak_rss_mb(),
    }


# -- filling databases fast: INSERT ... SELECT from a recursive CTE ---------------------------
def fill_users(database_url: str, users: int) -> None:
    """``users`` reachable users with ids CHAT_BASE + 1 ...; stdlib sqlite3, one statement."""
    now = _sqlite_now()
    with sqlite3.connect(database_url.split("///", 1)[1]) as db:
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO users (id, first_name, reachable, created_at, last_seen_at) "
            "SELECT ? + i, 'User', 1, ?, ? FROM n",
            (users, CHAT_BASE, now, now),
        )


def fill_outbox(database_url: str, rows: int) -> None:
    """``rows`` pending broadcast rows to chats CHAT_BASE + 1 ..., due now, in one statement."""
    now = _sqlite_now()
    payload = json.dumps({"text": TEXT})
    with sqlite3.connect(database_url.split("///", 1)[1]) as db:
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO outbox (key, chat_id, user_id, category, method, payload, priority, "
            "status, attempts, next_attempt_at, created_at) "
            "SELECT 'bench:' || i, ? + i, ? + i, 'announcement', 'sendMessage', ?, 50, "
            "'pending', 0, ?, ? FROM n",
            (rows, CHAT_BASE, CHAT_BASE, payload, now, now),
        )


def _sqlite_now() -> str:
    """A minute ago, as SQLAlchemy stores a UTC datetime in SQLite."""
    return (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.%f")


CASES: dict[str, Callable[..., Coroutine[Any, Any, Result | None]]] = {
    "companion": companion_broadcast,
    "ptb": ptb_broadcast,
    "sandbox": sandbox_lifted,
    "drain": drain,
    "queue": queue,
}


def main(argv: list[str]) -> None:
    case, *raw = argv
    args = [int(a) if a.lstrip("-").isdigit() else a for a in raw]
    result = asyncio.run(CASES[case](*args))
    if result is not None:
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
