"""Admin job commands through the real Application against the sandbox Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time
from pathlib import Path

import pytest

from bot.app import build_application, build_services
from bot.core.context import Services
from bot.core.jobs import DailyAt, JobContext, JobSpec
from bot.core.jobs.models import JobRun
from bot.core.kernel.clock import ManualClock
from bot.core.lifecycle import serving
from bot.sandbox import SandboxServer
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN, make_settings, migrate
from tests.e2e.conftest import UNPACED, Harness, settle
from tests.helpers.clocks import NOON
from tests.helpers.jobs import NO_RETRY
from tests.helpers.jobs import runs as all_runs

USER = 42
# The bot first starts at NOON, after the 03:00 and 04:00 slots.


async def manual_runs(bot: Harness, job: str) -> list[JobRun]:
    """Manual runs only."""
    return [row for row in await all_runs(bot.services, job) if row.trigger == "manual"]


async def greet(ctx: JobContext[Services]) -> str:
    """A job that says how many it was asked to greet."""
    return f"greeted {ctx.args.get('limit', 0)} users"


async def explode(ctx: JobContext[Services]) -> str:
    raise RuntimeError("feed unreachable")


@pytest.fixture
async def bot(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> AsyncIterator[Harness]:
    """The bot with two test jobs declared, long-polling the sandbox; replies are not paced
    (flood control has its own tests), so an admin may send several commands in a row."""
    sandbox.set_limits(FloodLimits(private=None))
    settings = make_settings(tmp_path, telegram_api_base_url=sandbox.base_url, **UNPACED)
    await migrate(settings.database_url, schema_template)
    services = build_services(settings, clock=ManualClock(NOON))
    services.jobs.add(
        JobSpec("test.greet", greet, DailyAt(time(3, 0)), retry=NO_RETRY, args={"limit": int})
    )
    services.jobs.add(JobSpec("test.explode", explode, DailyAt(time(4, 0)), retry=NO_RETRY))
    app = build_application(settings, services=services)
    async with serving(app, poll_timeout=1):
        harness = Harness(app, sandbox)
        await settle(harness)  # start-up alerts (e.g. publish_due without CHANNEL_ID) sent
        yield harness


async def test_admin_runjob_reports_start_and_summary(bot: Harness) -> None:
    """/runjob answers 'started' and then the status, duration and the job's summary."""
    started, finished = await bot.say(ADMIN, "/runjob test.greet limit=5", replies=2)
    assert started.text == "test.greet started with limit=5."
    assert finished.text is not None
    assert finished.text.startswith("test.greet finished: succeeded in ")
    assert finished.text.endswith("— greeted 5 users")
    (row,) = await manual_runs(bot, "test.greet")
    assert row.trigger == "manual" and row.requested_by == ADMIN


async def test_runjob_failure_is_reported(bot: Harness) -> None:
    """A failing manual run reports the failure and its error."""
    _, finished = await bot.say(ADMIN, "/runjob test.explode", replies=2)
    assert "failed" in (finished.text or "") and "feed unreachable" in (finished.text or "")


async def test_non_admin_runjob_changes_nothing(bot: Harness) -> None:
    """A non-admin is refused and no run is recorded."""
    reply = await bot.reply(USER, "/runjob test.greet")
    assert "admins only" in reply
    await bot.idle()
    assert await manual_runs(bot, "test.greet") == []


async def test_runjob_unknown_and_bad_args(bot: Harness) -> None:
    """An unknown name lists the jobs; a bad argument says what the job accepts."""
    unknown = await bot.reply(ADMIN, "/runjob nope.nothing")
    assert "Unknown job 'nope.nothing'" in unknown and "test.greet" in unknown
    bad = await bot.reply(ADMIN, "/runjob test.greet limit=many")
    assert "limit must be int" in bad and "accepts: limit=int" in bad
    extra = await bot.reply(ADMIN, "/runjob test.explode force=1")
    assert "accepts: no arguments" in extra
    assert await manual_runs(bot, "test.greet") == []


async def test_jobs_lists_and_pause_shows(bot: Harness) -> None:
    """/jobs lists each job with schedule, next run and last status (a fresh install: never
    run, not missed); a pause shows there."""
    listing = await bot.reply(ADMIN, "/jobs")
    assert "test.greet — daily at 03:00 — next Sun 2026-11-22 03:00 — not run yet" in listing
    assert "missed" not in listing
    assert await bot.reply(ADMIN, "/pausejob test.greet") == "test.greet paused."
    assert "test.greet — daily at 03:00 — next paused" in await bot.reply(ADMIN, "/jobs")


async def test_resume_and_history(bot: Harness) -> None:
    """/resumejob of a running job says so; /jobhistory on a fresh install says the job has
    not run yet (no "the bot was not running"), then lists the runs."""
    assert await bot.reply(ADMIN, "/resumejob test.greet") == "test.greet was already resumed."
    assert await bot.reply(ADMIN, "/jobhistory test.greet") == "test.greet has not run yet."
    await bot.say(ADMIN, "/runjob test.greet", replies=2)
    history = await bot.reply(ADMIN, "/jobhistory test.greet 5")
    assert "Last 1 run of test.greet" in history and "manual succeeded" in history
    assert "Usage" in await bot.reply(ADMIN, "/jobhistory test.greet x")
