"""Scheduler: lateness of due runs and the runner's overhead, beside a bare JobQueue callback.

``python -m benchmarks scheduler``. One process, one event loop, a temporary
SQLite database and the sandbox Bot API. Phase 1 schedules RUNS one-shot
JobQueue callbacks due SPACING apart and records how late each one starts
(bare: the callback itself; runner: the job function, after the slot claim).
Phase 2 runs a no-op job RUNS times in a row, directly and through the runner,
for the cost of claim + record per run.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_application, build_services
from bot.core.context import App, BotContext, Services, services_of
from bot.core.jobs import Every, JobContext, JobSpec, RetryPolicy
from bot.core.kernel.migrate import upgrade
from bot.sandbox import SandboxServer
from bot.settings import CompanionSettings

RUNS = 1000
SPACING = 0.01  # seconds between due times: 100 runs a second
LEAD = 0.5  # seconds before the first due time


async def _noop(ctx: JobContext[Services]) -> str:
    return "ok"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _lateness(app: App, through_runner: bool) -> list[float]:
    """Milliseconds from each due time to the start of the work, RUNS runs."""
    assert app.job_queue is not None
    services = services_of(app)
    done = asyncio.Event()
    late: list[float] = []
    first = datetime.now(UTC) + timedelta(seconds=LEAD)

    def started(due: datetime) -> None:
        late.append((datetime.now(UTC) - due).total_seconds() * 1000)
        if len(late) == RUNS:
            done.set()

    async def bare(context: BotContext) -> None:
        started(context.job.data)  # type: ignore[union-attr]

    async def via_runner(context: BotContext) -> None:
        index, due = context.job.data  # type: ignore[union-attr,misc]
        await services.runner.run(f"bench.{index}", trigger="scheduled", scheduled_for=due)

    for index in range(RUNS):
        due = first + timedelta(seconds=index * SPACING)
        if through_runner:
            _STARTED[f"bench.{index}"] = started
            app.job_queue.run_once(via_runner, when=due, data=(index, due), job_kwargs=_KW)
        else:
            app.job_queue.run_once(bare, when=due, data=due, job_kwargs=_KW)
    await asyncio.wait_for(done.wait(), 120)
    return late


_KW: dict[str, Any] = {"misfire_grace_time": None, "max_instances": 10_000}
_STARTED: dict[str, Any] = {}


async def _timed(ctx: JobContext[Services]) -> str:
    _STARTED[ctx.name](ctx.scheduled_for)
    return "ok"


async def _overhead(services: Services) -> tuple[float, float]:
    """Microseconds per run: the no-op called directly, and through the runner."""
    context: Any = None
    start = time.perf_counter()
    for _ in range(RUNS):
        await _noop(context)
    bare = (time.perf_counter() - start) / RUNS * 1e6
    base = datetime(2030, 1, 1, tzinfo=UTC)
    start = time.perf_counter()
    for index in range(RUNS):
        slot = base + timedelta(seconds=index)
        await services.runner.run("bench.noop", trigger="manual", scheduled_for=slot)
    return bare, (time.perf_counter() - start) / RUNS * 1e6


async def _warm_up(services: Services) -> None:
    """One run first, as the bot's start-up catch-up does: the runner's statements are
    compiled once per process, which is not the cost of a run."""
    await services.runner.run(
        "bench.noop", trigger="manual", scheduled_for=datetime(2029, 1, 1, tzinfo=UTC)
    )


def _build(folder: Path, base_url: str) -> App:
    settings = CompanionSettings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{folder}/bench.sqlite3",
        telegram_api_base_url=base_url,
        bot_token="123456:BENCH",
        log_level="WARNING",
    )
    upgrade(settings.database_url)
    services = build_services(settings)
    once = RetryPolicy(attempts=1)
    for index in range(RUNS):
        services.jobs.add(JobSpec(f"bench.{index}", _timed, Every(86_400), retry=once))
    services.jobs.add(JobSpec("bench.noop", _noop, Every(86_400), retry=once))
    return build_application(settings, services=services, modules=())


async def main() -> None:
    from bot.core.kernel.logging import configure_logging

    configure_logging("WARNING", "console")
    sandbox = SandboxServer()
    base_url = await sandbox.start()
    with tempfile.TemporaryDirectory() as folder:
        app = await asyncio.to_thread(_build, Path(folder), base_url)
        await app.initialize()
        await app.start()
        gc.freeze()  # as the bot does once its start hooks ran (bot/app.py, _post_init)
        try:
            bare = await _lateness(app, through_runner=False)
            await _warm_up(services_of(app))
            runner = await _lateness(app, through_runner=True)
            direct, managed = await _overhead(services_of(app))
        finally:
            await app.stop()
            await app.shutdown()
            await services_of(app).db.dispose()
    await sandbox.stop()
    _report(bare, runner, direct, managed)


def _report(bare: list[float], runner: list[float], direct: float, managed: float) -> None:
    rows = [
        ("lateness p50 (ms)", statistics.median(bare), statistics.median(runner)),
        ("lateness p99 (ms)", _percentile(bare, 0.99), _percentile(runner, 0.99)),
        ("per run (µs)", direct, managed),
    ]
    print(f"{RUNS} runs due {SPACING * 1000:g} ms apart; SQLite; one process")
    print(f"{'':<20}{'bare JobQueue':>15}{'runner':>12}{'ratio':>9}")
    for label, left, right in rows:
        ratio = right / left if left else float("inf")
        print(f"{label:<20}{left:>15.2f}{right:>12.2f}{ratio:>8.1f}x")
    print(f"runner overhead per run (claim + record): {(managed - direct) / 1000:.2f} ms")
