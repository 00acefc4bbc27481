"""Catch-up after downtime runs in the background: users are answered while it runs, and a
stop ends it within the runner's grace."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, timedelta
from pathlib import Path

from bot.app import build_application, build_services
from bot.core.jobs import DailyAt
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.settings import Settings
from bot.core.lifecycle import serving
from bot.sandbox import SandboxServer
from tests.conftest import make_settings, migrate
from tests.helpers.clocks import NOON
from tests.helpers.jobs import Recorder, installed, runs, services_with

ELEVEN = NOON - timedelta(hours=1)  # a slot that fell while the bot was down
USER = 4_242


async def test_start_answered_while_a_slow_catch_up_runs(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """A missed slot whose run blocks does not hold start-up: /start sent right after the
    start is answered while the catch-up run is still going (it is held until the answer came,
    so the order does not depend on the machine's speed)."""
    settings = make_settings(tmp_path, telegram_api_base_url=sandbox.base_url)
    await migrate(settings.database_url, schema_template)
    slow = Recorder()
    slow.release.clear()
    services = build_services(settings, clock=ManualClock(NOON))
    services.jobs.add(slow.spec("test.slow", schedule=DailyAt(ELEVEN.time())))
    await installed(services, NOON - timedelta(days=1))
    app = build_application(settings, services=services)
    context = serving(app, poll_timeout=1)
    entering = asyncio.create_task(context.__aenter__())
    try:
        await asyncio.wait_for(slow.entered.wait(), timeout=60)
        world = sandbox.world
        world.send_text(USER, "/start")
        await world.wait_until(lambda: world.to(USER), timeout=60)  # a hang guard
        assert not slow.release.is_set()
        assert (world.to(USER)[0].text or "").startswith("Welcome to Companion")
        [row] = await runs(services, "test.slow")
        assert row.trigger == "catchup" and row.status == "running"
    finally:
        slow.release.set()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(entering, timeout=60)
        await context.__aexit__(None, None, None)
    [row] = await runs(services, "test.slow")
    assert row.status == "succeeded" and row.scheduled_for.replace(tzinfo=UTC) == ELEVEN


async def test_stop_cancels_the_background_catch_up(migrated: Settings) -> None:
    """A stop while catch-up runs: the run is cancelled after the grace (never released, it
    can only end that way) and recorded failed, the jobs after it are not caught up, and
    waiting for the catch-up returns."""
    slow, later = Recorder(), Recorder()
    slow.release.clear()
    services = services_with(
        migrated,
        ManualClock(NOON),
        slow.spec("test.slow", schedule=DailyAt(ELEVEN.time()), priority=0),
        later.spec("test.later", schedule=DailyAt(ELEVEN.time()), priority=9),
    )
    await installed(services, NOON - timedelta(days=1))
    runner = services.runner
    runner.start()
    runner.catch_up_in_background()
    await asyncio.wait_for(slow.entered.wait(), timeout=60)
    started = time.monotonic()
    await asyncio.wait_for(runner.stop(grace=0.2), timeout=60)  # hang guards
    await asyncio.wait_for(runner.caught_up(), timeout=60)
    assert time.monotonic() - started >= 0.2  # the grace was given
    assert not slow.release.is_set()
    [row] = await runs(services, "test.slow")
    assert row.status == "failed" and row.error == "cancelled (the bot was stopping)"
    assert later.calls == [] and await runs(services, "test.later") == []


async def test_a_late_start_still_catches_up(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """The catch-up is due at once when the jobs are scheduled; a start-up step after that
    taking 1.5 s (a busy machine) makes the scheduler reach it late. It runs all the same:
    the scheduler's default would drop a one-off job more than a second late, and the
    missed slot would then never be caught up."""
    settings = make_settings(tmp_path, telegram_api_base_url=sandbox.base_url)
    await migrate(settings.database_url, schema_template)
    missed = Recorder()
    services = build_services(settings, clock=ManualClock(NOON))
    services.jobs.add(missed.spec("test.missed", schedule=DailyAt(ELEVEN.time())))
    await installed(services, NOON - timedelta(days=1))
    app = build_application(settings, services=services)

    async def slow_step(_app: object) -> None:
        await asyncio.sleep(1.5)

    services.on_start.append(slow_step)  # after the jobs' hook, before the scheduler starts
    async with serving(app, poll_timeout=1):
        await asyncio.wait_for(missed.entered.wait(), timeout=60)  # a hang guard
    [row] = await runs(services, "test.missed")
    assert row.trigger == "catchup" and row.scheduled_for.replace(tzinfo=UTC) == ELEVEN
