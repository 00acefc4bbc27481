"""A job's slot runs once when separate processes race for it: each child process builds
its own services (its own engine and connections) on the one database and asks its runner
to run the same scheduled slot at the same moment; the job's body runs once, one
``job_runs`` row is recorded.

Run as ``python -m tests.integration.test_slot_once <database_url> <dir>`` it is one of
those children."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, time
from pathlib import Path

from sqlalchemy import select

from bot.app import build_application, build_services
from bot.core.jobs import DailyAt, JobContext, JobSpec, RetryPolicy
from bot.core.jobs.models import JobRun, Trigger
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings
from bot.settings import CompanionSettings
from tests.helpers.owned import own_db

NINE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
JOB, RACERS = "race.job", 3
ROOT = Path(__file__).resolve().parents[2]  # the repository: python -m tests...
BODY_SECONDS = 0.5  # the body outlasts the others' claims, so they meet a running row too


async def _body(ctx: JobContext[object]) -> str:
    """The job: note this process's id in ``calls``, then take a while."""
    calls = Path(os.environ["SLOT_RACE_DIR"]) / "calls"
    with calls.open("a") as out:
        out.write(f"{os.getpid()}\n")
    await asyncio.sleep(BODY_SECONDS)
    return "raced"


async def _race(database_url: str, folder: Path) -> str:
    """One child: ready, wait for the start signal (a line on stdin), run the 09:00 slot;
    what happened."""
    settings = CompanionSettings(
        _env_file=None,
        database_url=database_url,
        bot_token="123456:TEST-token",
        admin_ids="1",
        media_dir=folder / "media",
    )
    services = build_services(settings, clock=ManualClock(NINE))
    services.jobs.add(
        JobSpec(name=JOB, func=_body, schedule=DailyAt(time(9, 0)), retry=RetryPolicy(attempts=1))
    )
    build_application(settings, services=services, modules=())
    try:
        async with services.db.session() as session:  # connected before the start signal
            await session.scalar(select(JobRun.id).limit(1))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # the start signal
        record = await services.runner.run(JOB, trigger=Trigger.SCHEDULED, scheduled_for=NINE)
        return "skipped" if record is None else f"ran {record.status}"
    finally:
        await services.db.dispose()


async def _child(database_url: str, folder: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "ADMIN_IDS")}
    env.update(SLOT_RACE_DIR=str(folder), LOG_LEVEL="WARNING")
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.integration.test_slot_once", database_url, str(folder)),
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_processes_racing_for_one_slot_run_it_once(
    migrated: Settings, tmp_path: Path
) -> None:
    """Three processes on one database, released together onto the same 09:00 slot: one runs
    the job's body and records its run, the two others skip the slot."""
    children = [await _child(migrated.database_url, tmp_path) for _ in range(RACERS)]
    for child in children:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line == b"ready\n", (line, await child.stderr.read() if child.stderr else b"")
    for child in children:  # the start signal, to all of them at once
        assert child.stdin is not None
        child.stdin.write(b"go\n")
    await asyncio.gather(*(child.stdin.drain() for child in children if child.stdin))
    outputs = [await asyncio.wait_for(child.communicate(), 60) for child in children]
    bodies_run = len((tmp_path / "calls").read_text().split())
    assert bodies_run == 1, outputs
    assert [child.returncode for child in children] == [0] * RACERS, outputs
    said = sorted(out.decode().splitlines()[-1] for out, _err in outputs)  # logs first
    assert said == ["ran succeeded"] + ["skipped"] * (RACERS - 1), outputs
    db = own_db(Database(migrated.database_url))
    async with db.session() as session:
        rows = (await session.execute(select(JobRun.status).where(JobRun.job == JOB))).all()
    assert [status for (status,) in rows] == ["succeeded"]


if __name__ == "__main__":
    print(asyncio.run(_race(sys.argv[1], Path(sys.argv[2]))), flush=True)
