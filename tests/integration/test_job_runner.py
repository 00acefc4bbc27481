"""The runner on a real SQLite database with an injected clock."""

from __future__ import annotations

import asyncio
import random
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.jobs import RetryPolicy
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.events import JobFailed
from bot.core.kernel.settings import Settings
from tests.helpers.factories import job_run
from tests.helpers.jobs import Recorder, alerts, installed, runs, services_with

NINE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


async def test_run_records_summary_attempts_and_metrics(migrated: Settings) -> None:
    """A successful run is one row: succeeded, one attempt, the job's summary, a duration."""
    job = Recorder(summary="3 things done")
    services = services_with(migrated, ManualClock(NINE), job.spec())
    record = await services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)
    assert record is not None and record.status == "succeeded" and record.attempts == 1
    assert record.summary == "3 things done" and record.duration is not None
    assert job.calls[0].scheduled_for == NINE and job.calls[0].trigger == "scheduled"
    value = services.metrics.job_runs.labels("test.job", "succeeded")._value.get()
    assert value == 1


async def test_a_slot_runs_once(migrated: Settings) -> None:
    """The same slot asked twice runs once; the second call does nothing."""
    job = Recorder()
    services = services_with(migrated, ManualClock(NINE), job.spec())
    assert await services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)
    assert await services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE) is None
    assert len(job.calls) == 1 and len(await runs(services)) == 1


async def test_restart_mid_run_does_not_rerun_the_slot(migrated: Settings) -> None:
    """A second process on the same database, started while a run is in progress,
    finds the slot claimed: neither a scheduled fire nor catch-up runs it again."""
    clock = ManualClock(NINE + timedelta(minutes=5))
    first, second = Recorder(), Recorder()
    first.release.clear()
    one = services_with(migrated, clock, first.spec(catchup=3600))
    two = services_with(migrated, clock, second.spec(catchup=3600))
    task = asyncio.create_task(one.runner.run("test.job", trigger="scheduled", scheduled_for=NINE))
    await first.entered.wait()
    assert await two.runner.catch_up() == []
    assert await two.runner.run("test.job", trigger="scheduled", scheduled_for=NINE) is None
    first.release.set()
    record = await task
    assert record is not None and record.status == "succeeded"
    assert second.calls == [] and len(await runs(one)) == 1


async def test_stale_running_row_is_marked_timed_out_not_rerun(migrated: Settings) -> None:
    """A 'running' row older than the timeout (the process died) is marked timed_out and
    reported to the admins; its slot is not run again."""
    clock = ManualClock(NINE + timedelta(minutes=20))
    job = Recorder()
    services = services_with(migrated, clock, job.spec(timeout=600, catchup=3600))
    async with services.db.session() as session:
        session.add(job_run("test.job", NINE, status="running"))
    assert await services.runner.catch_up() == []
    (row,) = await runs(services)
    assert row.status == "timed_out" and "timeout" in (row.error or "")
    assert job.calls == []
    (text,) = await alerts(services)
    assert "test.job" in text and "timed out" in text


async def test_catch_up_within_window_runs_once(migrated: Settings) -> None:
    """Down over 09:00 and back at 09:30 with a 1 h window: the 09:00 slot runs once."""
    clock = ManualClock(NINE + timedelta(minutes=30))
    job = Recorder()
    services = services_with(migrated, clock, job.spec(catchup=3600))
    await installed(services, NINE - timedelta(days=1))
    (record,) = await services.runner.catch_up()
    assert record.trigger == "catchup" and record.scheduled_for == NINE
    assert await services.runner.catch_up() == []
    assert len(job.calls) == 1


async def test_catch_up_beyond_window_records_missed(migrated: Settings) -> None:
    """Back two hours late with a 1 h window: the slot is recorded missed, nothing runs,
    and older slots (yesterday's) are not replayed."""
    clock = ManualClock(NINE + timedelta(hours=2))
    job = Recorder()
    services = services_with(migrated, clock, job.spec(catchup=3600))
    await installed(services, NINE - timedelta(days=1))
    assert await services.runner.catch_up() == []
    (row,) = await runs(services)
    assert row.status == "missed" and row.scheduled_for == NINE and job.calls == []


async def test_fresh_install_neither_catches_up_nor_misses(migrated: Settings) -> None:
    """First start at 11:00 on a new database: the 09:00 slot (within or beyond the window)
    is neither run nor recorded missed, and a restart later does not revisit it."""
    clock = ManualClock(NINE + timedelta(hours=2))
    near, far = Recorder(), Recorder()
    services = services_with(
        migrated,
        clock,
        near.spec("test.near", catchup=3 * 3600),
        far.spec("test.far"),
    )
    assert await services.runner.catch_up() == []
    clock.advance(timedelta(minutes=30))
    assert await services.runner.catch_up() == []
    assert near.calls == far.calls == []
    assert await runs(services, "test.near") == await runs(services, "test.far") == []


async def test_slots_after_the_first_start_are_caught_up(migrated: Settings) -> None:
    """Installed at 08:00, down over 09:00, back at 09:30: the 09:00 slot runs (catch-up)."""
    clock = ManualClock(NINE - timedelta(hours=1))
    job = Recorder()
    services = services_with(migrated, clock, job.spec(catchup=3600))
    assert await services.runner.catch_up() == []
    clock.advance(timedelta(minutes=90))
    (record,) = await services.runner.catch_up()
    assert record.trigger == "catchup" and record.scheduled_for == NINE


async def test_retries_back_off_exponentially(migrated: Settings) -> None:
    """Two failures then success: three attempts, waits of base then 2×base (no jitter)."""
    clock = ManualClock(NINE)
    job = Recorder(fail=2)
    retry = RetryPolicy(attempts=3, base_delay=10, jitter=0)
    services = services_with(migrated, clock, job.spec(retry=retry))
    record = await services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)
    assert record is not None and record.status == "succeeded" and record.attempts == 3
    assert clock.now() - NINE == timedelta(seconds=30)
    assert await alerts(services) == []


async def test_jitter_stays_within_bounds(migrated: Settings) -> None:
    """Jittered waits stay within ±jitter of the exponential delay."""
    clock = ManualClock(NINE)
    job = Recorder(fail=1)
    retry = RetryPolicy(attempts=2, base_delay=100, jitter=0.2)
    services = services_with(migrated, clock, job.spec(retry=retry))
    services.runner.rng = random.Random(7)
    await services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)
    waited = (clock.now() - NINE).total_seconds()
    assert 80 <= waited <= 120 and waited != 100


async def test_final_failure_alerts_once_then_recovers(migrated: Settings) -> None:
    """All attempts failing: one alert with job, error and attempts, JobFailed published;
    the next failures within the hour stay quiet; an hour later one reminder; a success
    sends one 'recovered'."""
    clock = ManualClock(NINE)
    job = Recorder(fail=100)
    retry = RetryPolicy(attempts=2, base_delay=1, jitter=0)
    services = services_with(migrated, clock, job.spec(retry=retry))
    failed: list[JobFailed] = []

    async def on_failed(event: JobFailed) -> None:
        failed.append(event)

    services.bus.subscribe(JobFailed, on_failed)
    for minutes in (0, 10, 20):
        slot = NINE + timedelta(minutes=minutes)
        clock.set(slot)
        record = await services.runner.run("test.job", trigger="scheduled", scheduled_for=slot)
        assert record is not None and record.status == "failed" and record.attempts == 2
    (first,) = await alerts(services)
    assert "test.job" in first and "RuntimeError: boom" in first and "2 attempt" in first
    assert [event.attempts for event in failed] == [2, 2, 2]
    clock.set(NINE + timedelta(minutes=70))
    await services.runner.run("test.job", trigger="scheduled", scheduled_for=clock.now())
    assert len(await alerts(services)) == 2
    job.fail = 0
    clock.set(NINE + timedelta(minutes=80))
    await services.runner.run("test.job", trigger="scheduled", scheduled_for=clock.now())
    texts = await alerts(services)
    assert len(texts) == 3 and "recovered" in texts[-1]


async def test_timeout_ends_the_run(migrated: Settings) -> None:
    """A job that outlives its timeout is cut off and recorded timed_out, with an alert."""
    job = Recorder()
    job.release.clear()
    services = services_with(migrated, ManualClock(NINE), job.spec(timeout=0.2))
    record = await services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)
    assert record is not None and record.status == "timed_out" and "0.2s" in (record.error or "")
    assert len(await alerts(services)) == 1


async def test_runs_of_one_job_never_overlap(migrated: Settings) -> None:
    """While a run is in progress, the next slot of the same job is skipped and recorded
    missed; a manual request does nothing."""
    clock = ManualClock(NINE)
    job = Recorder()
    job.release.clear()
    services = services_with(migrated, clock, job.spec())
    runner = services.runner
    task = asyncio.create_task(runner.run("test.job", trigger="scheduled", scheduled_for=NINE))
    await job.entered.wait()
    later = NINE + timedelta(minutes=1)
    assert runner.is_running("test.job")
    assert await runner.run("test.job", trigger="scheduled", scheduled_for=later) is None
    assert await runner.run("test.job", trigger="manual", scheduled_for=later) is None
    job.release.set()
    await task
    assert len(job.calls) == 1
    assert [(r.scheduled_for, r.status) for r in await runs(services)] == [
        (NINE, "succeeded"),
        (later, "missed"),
    ]


async def test_live_run_in_another_process_blocks_a_new_slot(migrated: Settings) -> None:
    """A fresh 'running' row written by another process keeps this one from overlapping."""
    clock = ManualClock(NINE + timedelta(minutes=1))
    job = Recorder()
    services = services_with(migrated, clock, job.spec(timeout=600))
    async with services.db.session() as session:
        session.add(job_run("test.job", NINE, status="running"))
    slot = NINE + timedelta(minutes=1)
    assert await services.runner.run("test.job", trigger="scheduled", scheduled_for=slot) is None
    assert job.calls == []


async def _holder_of(process: asyncio.subprocess.Process) -> str:
    """The ``host:pid:start:nonce`` a runner in ``process`` would have written."""
    start = (await asyncio.to_thread(Path(f"/proc/{process.pid}/stat").read_text)).rsplit(")")[-1]
    return f"{socket.gethostname()}:{process.pid}:{start.split()[19]}:0"


async def test_a_run_whose_process_is_gone_is_reaped_at_once(migrated: Settings) -> None:
    """A fresh 'running' row claimed by a process on this host that was killed (SIGKILL)
    does not wait for the job's timeout: the next slot marks it timed out, says why, and
    runs. The same row held by a live process still blocks."""
    clock = ManualClock(NINE + timedelta(minutes=1))
    job = Recorder()
    services = services_with(migrated, clock, job.spec(timeout=600))
    process = await asyncio.create_subprocess_exec("sleep", "60")
    try:
        holder = await _holder_of(process)
        async with services.db.session() as session:
            session.add(job_run("test.job", NINE, status="running", holder=holder))
        slot = NINE + timedelta(minutes=1)
        assert (
            await services.runner.run("test.job", trigger="scheduled", scheduled_for=slot) is None
        )
        assert job.calls == []
    finally:
        process.kill()
        await process.wait()
    later = NINE + timedelta(minutes=2)
    record = await services.runner.run("test.job", trigger="scheduled", scheduled_for=later)
    assert record is not None and record.status == "succeeded" and len(job.calls) == 1
    [dead, _] = await runs(services)  # the dead run, the new run
    assert dead.status == "timed_out" and f"pid {process.pid}) is gone" in (dead.error or "")


async def test_catch_up_reaps_a_run_whose_process_is_gone(migrated: Settings) -> None:
    """A restarted process's catch-up reaps the run its killed predecessor left behind."""
    clock = ManualClock(NINE + timedelta(minutes=1))
    services = services_with(migrated, clock, Recorder().spec(timeout=600))
    process = await asyncio.create_subprocess_exec("sleep", "60")
    holder = await _holder_of(process)
    process.kill()
    await process.wait()
    async with services.db.session() as session:
        session.add(job_run("test.job", NINE, status="running", holder=holder))
    [spec] = list(services.jobs)
    assert len(await services.runner.reap(spec)) == 1
    assert [r.status for r in await runs(services)] == ["timed_out"]


async def test_pause_survives_restart(migrated: Settings) -> None:
    """A paused job stays paused in a new process: scheduled slots and catch-up skip it,
    a manual run still works; resuming lets the schedule run it again."""
    clock = ManualClock(NINE + timedelta(minutes=10))
    job = Recorder()
    before = services_with(migrated, clock, job.spec(catchup=3600))
    await installed(before, NINE - timedelta(days=1))
    assert await before.runner.pause("test.job")
    await before.db.dispose()
    after = services_with(migrated, clock, job.spec(catchup=3600))
    assert await after.runner.catch_up() == []
    assert await after.runner.run("test.job", trigger="scheduled", scheduled_for=NINE) is None
    manual = await after.runner.run("test.job", trigger="manual", scheduled_for=clock.now())
    assert manual is not None and manual.status == "succeeded"
    assert await after.runner.resume("test.job")
    assert await after.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)
    assert len(job.calls) == 2


async def test_stop_cancels_a_run_that_outlasts_the_grace(migrated: Settings) -> None:
    """At shutdown a run still going after the grace is cancelled and recorded as failed,
    and no new run starts until the runner is started again."""
    job = Recorder()
    job.release.clear()
    services = services_with(migrated, ManualClock(NINE), job.spec(timeout=600))
    runner = services.runner
    task = asyncio.create_task(runner.run("test.job", trigger="scheduled", scheduled_for=NINE))
    await job.entered.wait()
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(runner.stop(grace=0.2), 60)  # a hang guard: the job never ends
    assert asyncio.get_running_loop().time() - started >= 0.2 and task.cancelled()
    [row] = await runs(services)
    assert row.status == "failed" and row.error == "cancelled (the bot was stopping)"
    tomorrow = NINE + timedelta(days=1)
    assert await runner.run("test.job", trigger="scheduled", scheduled_for=tomorrow) is None
    assert len(job.calls) == 1
    runner.start()
    job.release.set()
    assert await runner.run("test.job", trigger="scheduled", scheduled_for=tomorrow)


async def test_stop_lets_a_run_finish_within_the_grace(migrated: Settings) -> None:
    """A run that ends within the grace is not cancelled: it succeeds and stop returns."""
    job = Recorder()
    job.release.clear()
    services = services_with(migrated, ManualClock(NINE), job.spec(timeout=600))
    task = asyncio.create_task(
        services.runner.run("test.job", trigger="scheduled", scheduled_for=NINE)
    )
    await job.entered.wait()
    asyncio.get_running_loop().call_later(0.1, job.release.set)
    await services.runner.stop(grace=30)
    record = await task
    assert record is not None and record.status == "succeeded"
