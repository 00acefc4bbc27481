"""The runner owns a run: claim the slot, run with timeout and retries, record, alert.

JobQueue (or ``/runjob``, or the CLI) only says "run job X for slot S"; the
runner makes that safe. The slot is claimed by inserting the ``job_runs`` row,
so a slot runs once even across restarts and processes sharing the database.
The timeout bounds the whole run, retries and backoff included, which is also
what makes a ``running`` row older than the timeout provably stale.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from telegram import Bot

from bot.core.alerts import alert_admins
from bot.core.cluster import Holder
from bot.core.jobs import statements, store
from bot.core.jobs.fire_times import last_fire
from bot.core.jobs.models import RunStatus, Trigger
from bot.core.jobs.spec import JobContext, JobSpec, RetryPolicy
from bot.core.jobs.store import JobRunRecord
from bot.core.kernel import JobFailed, cancel_and_wait, get_logger, redact
from bot.core.people import N_, Translatable, _, languages, ngettext, speaking
from bot.core.telegram import database_unreachable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.core.delivery import Posting
    from bot.core.jobs.registry import JobRegistry

log = get_logger(__name__)
OUTAGE_FIRST_DELAY, OUTAGE_MAX_DELAY = 0.5, 30.0  # retrying a claim the database refused

ALERT_QUIET = timedelta(hours=1)  # one alert per failing job per hour, however often it fails
STOP_GRACE = 15.0  # seconds runs in progress get to finish when the bot stops


class UnknownJobError(KeyError):
    """A job name that no module declared."""


@dataclass(slots=True)
class _Outcome:
    status: str = RunStatus.RUNNING
    attempts: int = 0
    error: str | None = None
    summary: str | None = None


SUMMARY_MAX = 1000  # characters of a summary kept per language


def stored_summary(summary: str | None) -> str | None:
    """What ``job_runs.summary`` holds: a text, or (a summary written with
    :func:`~bot.core.people.translatable`) the summary in every shipped language as JSON,
    each admin reading it in theirs."""
    if not isinstance(summary, Translatable):
        return summary[:SUMMARY_MAX] if summary else None
    texts = {}
    for language in languages():
        with speaking(language):
            texts[language] = summary.write()[:SUMMARY_MAX]
    return json.dumps(texts, ensure_ascii=False)


def backoff(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Seconds to wait after failed ``attempt`` (1-based): exponential, capped, jittered."""
    delay = min(policy.max_delay, policy.base_delay * 2.0 ** (attempt - 1))
    return max(0.0, float(delay) * (1 + rng.uniform(-policy.jitter, policy.jitter)))


class JobRunner:
    """Runs declared jobs once per slot; see the module docstring."""

    __slots__ = (
        "_catchup",
        "_caught_up",
        "_locks",
        "_running",
        "_stopping",
        "bot",
        "hand_to_jobs",
        "holder",
        "jobs",
        "posting",
        "rng",
    )

    def __init__(
        self,
        posting: Posting,
        jobs: JobRegistry,
        bot: Bot,
        *,
        hand_to_jobs: object,
        rng: random.Random | None = None,
    ) -> None:
        """``posting`` is what the runner itself uses; ``hand_to_jobs`` is only passed on
        to job functions as ``ctx.services``."""
        self.posting = posting
        self.jobs, self.bot, self.hand_to_jobs = jobs, bot, hand_to_jobs
        self.rng = rng or random.Random()
        self.holder = str(Holder.this_process())  # written on the runs this process claims
        self._locks: dict[str, asyncio.Lock] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._catchup: asyncio.Task[list[JobRunRecord]] | None = None
        self._caught_up = asyncio.Event()
        self._caught_up.set()

    def validate(self) -> None:
        """Apply the settings overrides; :class:`ConfigError` if any is bad."""
        settings = self.posting.settings
        self.jobs.configure(settings.jobs, settings.timezone)

    def spec(self, name: str) -> JobSpec:
        spec = self.jobs.get(name)
        if spec is None:
            raise UnknownJobError(name)
        return spec

    def is_running(self, name: str) -> bool:
        lock = self._locks.get(name)
        return lock is not None and lock.locked()

    async def run(
        self,
        name: str,
        *,
        trigger: Trigger,
        scheduled_for: datetime,
        args: dict[str, Any] | None = None,
        requested_by: int | None = None,
    ) -> JobRunRecord | None:
        """Run ``name`` for ``scheduled_for`` once; None when the slot was not ours to run."""
        spec = self.spec(name)
        lock = self._locks.setdefault(name, asyncio.Lock())
        with structlog.contextvars.bound_contextvars(job=name, trigger=trigger):
            if lock.locked():
                await self._overlapped(spec, trigger, scheduled_for)
                return None
            if self._stopping:
                log.info("bot stopping, slot left for catch-up", slot=scheduled_for.isoformat())
                return None
            async with lock:
                claimed = await self._claim_through_outage(
                    spec, trigger, scheduled_for, requested_by
                )
                if claimed is None:
                    return None
                run_id, trigger = claimed
                context = JobContext(
                    self.hand_to_jobs,
                    self.bot,
                    name,
                    trigger,
                    scheduled_for,
                    dict(args or {}),
                    requested_by,
                )
                task = asyncio.current_task()
                if task is not None:
                    self._running.add(task)
                try:
                    return await self._execute(spec, run_id, context)
                finally:
                    self._running.discard(task)

    def start(self) -> None:
        """Accept runs (again, if this runner was stopped); the bot's start hook calls it,
        then starts the catch-up (:meth:`caught_up` waits for it)."""
        self._stopping = False
        self._caught_up.clear()

    async def caught_up(self) -> None:
        """Wait until the catch-up after :meth:`start` has finished (or failed, or stopped)."""
        await self._caught_up.wait()

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """At shutdown: no new runs; runs in progress get ``grace`` seconds to finish, then
        are cancelled (recorded as failed, "the bot was stopping"). Without this, the
        application's stop waits for a run up to its timeout (an hour for cleanup)."""
        self._stopping = True
        self._caught_up.set()  # nothing more will be caught up
        running = [task for task in (*self._running, self._catchup) if task and not task.done()]
        if not running:
            return
        log.info("waiting for job runs to finish", runs=len(running), grace=grace)
        _done, pending = await asyncio.wait(running, timeout=grace)
        await cancel_and_wait(pending, what="job runs")

    async def _claim_through_outage(
        self, spec: JobSpec, trigger: Trigger, slot: datetime, requested_by: int | None
    ) -> tuple[int, Trigger] | None:
        """Claim the slot; while the database does not answer, keep trying (backing off to
        30 s) so that a scheduled slot is not lost to a blip: it runs late (trigger
        ``catchup``) within the job's catch-up window, and is recorded ``missed`` after it."""
        delay, tries = OUTAGE_FIRST_DELAY, 0
        while True:
            late = (self.posting.clock.now() - slot).total_seconds()
            try:
                if tries and late > spec.catchup:
                    await self.record_missed(spec, trigger, slot, "the database was unreachable")
                    return None
                run_id = await self._claim(spec, trigger, slot, requested_by)
                return None if run_id is None else (run_id, trigger)
            except Exception as exc:
                if trigger == Trigger.MANUAL or self._stopping or not database_unreachable(exc):
                    raise
                if not tries:
                    log.warning(
                        "database unreachable; the slot waits for it",
                        slot=slot.isoformat(),
                        error=str(exc)[:200],
                    )
            tries += 1
            trigger = Trigger.CATCHUP
            await asyncio.sleep(delay)
            delay = min(delay * 2, OUTAGE_MAX_DELAY)

    async def _claim(
        self, spec: JobSpec, trigger: Trigger, slot: datetime, requested_by: int | None
    ) -> int | None:
        """One transaction: a free slot is claimed by one statement; otherwise, in the same
        transaction, check pause, live and stale runs, reap stale rows, insert the slot."""
        now, db = self.posting.clock.now(), self.posting.db
        run_id, why, stale = None, "slot already claimed", []
        async with db.engine.begin() as conn:
            run_id = await statements.claim_free(
                conn,
                job=spec.name,
                slot=slot,
                trigger=trigger,
                now=now,
                manual=trigger == Trigger.MANUAL,
                requested_by=requested_by,
                holder=self.holder,
            )
            if run_id is not None:
                return run_id
            async with db.sessions(bind=conn) as session:
                paused, running = await store.blockers(session, spec.name)
                dead = _stale(running, now, spec.timeout)
                stale = await self._reap_in(session, spec, now, dead) if dead else []
                if trigger != Trigger.MANUAL and paused:
                    why = "job paused, slot skipped"
                elif len(running) > len(stale):
                    why = "job already running elsewhere, slot skipped"
                else:
                    run_id = await store.claim(
                        session,
                        spec.name,
                        slot,
                        trigger,
                        now,
                        requested_by=requested_by,
                        holder=self.holder,
                    )
                await session.flush()
        await self._reaped(spec, stale)
        if run_id is None:
            log.info(why, slot=slot.isoformat())
        return run_id

    async def _execute(self, spec: JobSpec, run_id: int, context: JobContext[Any]) -> JobRunRecord:
        log.info("job started", run_id=run_id, slot=context.scheduled_for.isoformat())
        started = time.perf_counter()
        outcome = _Outcome()
        try:
            async with asyncio.timeout(spec.timeout):
                await self._attempts(spec, context, outcome)
        except TimeoutError:
            last = f" (last error: {outcome.error})" if outcome.error else ""
            outcome.status, outcome.error = (
                RunStatus.TIMED_OUT,
                f"timed out after {spec.timeout:g}s{last}",
            )
        except asyncio.CancelledError:
            outcome.status, outcome.error = RunStatus.FAILED, "cancelled (the bot was stopping)"
            await self._record(spec, run_id, outcome, time.perf_counter() - started)
            raise
        return await self._record(spec, run_id, outcome, time.perf_counter() - started)

    async def _attempts(self, spec: JobSpec, context: JobContext[Any], outcome: _Outcome) -> None:
        while True:
            outcome.attempts += 1
            try:
                outcome.summary = stored_summary(await spec.func(context))
            except Exception as exc:
                outcome.error = redact(f"{type(exc).__name__}: {exc}")  # stored and shown
                log.warning("job attempt failed", attempt=outcome.attempts, error=outcome.error)
                if outcome.attempts >= spec.retry.attempts:
                    outcome.status = RunStatus.FAILED
                    return
                await self.posting.clock.sleep(backoff(spec.retry, outcome.attempts, self.rng))
            else:
                outcome.status, outcome.error = RunStatus.SUCCEEDED, None
                return

    async def _record(
        self, spec: JobSpec, run_id: int, outcome: _Outcome, duration: float
    ) -> JobRunRecord:
        db = self.posting.db
        async with db.engine.begin() as conn:
            record, streak = await statements.finish(
                conn,
                run_id,
                spec.name,
                status=outcome.status,
                attempts=outcome.attempts,
                finished=self.posting.clock.now(),
                duration=duration,
                error=outcome.error,
                summary=outcome.summary,
            )
            quiet = streak is None or streak == (0, None)
            if not (quiet and record.status == RunStatus.SUCCEEDED):
                async with db.sessions(bind=conn) as session:
                    await self._update_streak(session, record)
                    await session.flush()
        metrics = self.posting.metrics
        metrics.job_runs.labels(spec.name, record.status).inc()
        metrics.job_duration.labels(spec.name).observe(duration)
        log.info(
            "job finished",
            run_id=run_id,
            status=record.status,
            attempts=record.attempts,
            duration=round(duration, 3),
            summary=record.summary,
            error=record.error,
        )
        if record.status != RunStatus.SUCCEEDED:
            await self.posting.bus.publish(
                JobFailed(spec.name, record.error or record.status, record.attempts)
            )
        return record

    async def _update_streak(self, session: AsyncSession, record: JobRunRecord) -> None:
        """Failure alerts: the first of a streak, then at most one an hour; one on recovery.
        A success with no streak to end reads one row and writes nothing."""
        if record.status == RunStatus.SUCCEEDED:
            current = await store.streak(session, record.job)
            if current is None or (current[0] == 0 and current[1] is None):
                return
        state = await store.ensure_state(session, record.job)
        now = self.posting.clock.now()
        if record.status == RunStatus.SUCCEEDED:
            if state.consecutive_failures and state.last_alert_at is not None:
                text = functools.partial(_recovered, record, state.consecutive_failures)
                await alert_admins(self.posting, session, f"job:{record.job}:ok:{record.id}", text)
            state.consecutive_failures, state.last_alert_at = 0, None
            return
        state.consecutive_failures += 1
        if state.last_alert_at is None or now - state.last_alert_at >= ALERT_QUIET:
            text = functools.partial(_failed, record, state.consecutive_failures)
            await alert_admins(self.posting, session, f"job:{record.job}:fail:{record.id}", text)
            state.last_alert_at = now

    async def reap(self, spec: JobSpec) -> list[int]:
        """Mark timed out the ``running`` rows whose process died mid-run: older than the
        timeout, or claimed by a process on this host that is gone."""
        now = self.posting.clock.now()
        async with self.posting.db.session() as session:
            dead = _stale(await store.running_rows(session, spec.name), now, spec.timeout)
            stale = await self._reap_in(session, spec, now, dead) if dead else []
        await self._reaped(spec, stale)
        return stale

    async def _reap_in(
        self, session: AsyncSession, spec: JobSpec, now: datetime, dead: dict[int, str]
    ) -> list[int]:
        stale = await store.mark_timed_out(session, dead, now)
        for run_id in stale:
            await self._update_streak(session, await store.finish(session, run_id))
        return stale

    async def _reaped(self, spec: JobSpec, stale: list[int]) -> None:
        for run_id in stale:
            log.warning("stale run marked timed out", job=spec.name, run_id=run_id)
            self.posting.metrics.job_runs.labels(spec.name, RunStatus.TIMED_OUT).inc()
            await self.posting.bus.publish(JobFailed(spec.name, "stale run timed out", 0))

    async def _overlapped(self, spec: JobSpec, trigger: Trigger, slot: datetime) -> None:
        """A slot that fell while the previous run still ran: recorded, not queued."""
        log.warning("previous run still running, slot skipped", slot=slot.isoformat())
        if trigger != Trigger.MANUAL:
            await self.record_missed(spec, trigger, slot, "the previous run was still running")

    async def record_missed(
        self, spec: JobSpec, trigger: Trigger, slot: datetime, why: str
    ) -> None:
        now = self.posting.clock.now()
        async with self.posting.db.session() as session:
            await store.claim(
                session,
                spec.name,
                slot,
                trigger,
                now,
                status=RunStatus.MISSED,
                finished_at=now,
                duration=0.0,
                error=f"missed: {why}",
            )
        self.posting.metrics.job_runs.labels(spec.name, RunStatus.MISSED).inc()

    def catch_up_in_background(self) -> None:
        """Start :meth:`catch_up` as a task this runner owns: the bot answers users while
        missed slots run, and :meth:`stop` gives it the runs' grace, then cancels it."""
        if self._stopping:
            self._caught_up.set()
            return
        task = asyncio.create_task(self.catch_up(), name="jobs:catch-up")
        task.add_done_callback(_log_failure)
        task.add_done_callback(lambda _task: self._caught_up.set())
        self._catchup = task

    async def catch_up(self) -> list[JobRunRecord]:
        """At start-up: run the last missed slot of each job within its window, once
        (slots before the first start on this database are not missed: none ran then).
        "Now" is read per job: when catch-up runs beside the scheduler, a slot the scheduler
        already ran is taken, not replayed after a newer one."""
        self.validate()
        async with self.posting.db.session() as session:
            paused = await store.paused_jobs(session)
            installed = await store.first_start(session, self.posting.clock.now())
        records = []
        for spec in sorted(self.jobs, key=lambda s: s.priority):
            if self._stopping:
                break
            if not self.jobs.enabled(spec.name) or spec.name in paused or spec.manual:
                continue
            await self.reap(spec)
            record = await self._catch_up_one(spec, self.posting.clock.now(), installed)
            if record is not None:
                records.append(record)
        return records

    async def _catch_up_one(
        self, spec: JobSpec, now: datetime, installed: datetime
    ) -> JobRunRecord | None:
        """A slot before the bot's first start on this database fell before it existed:
        a fresh install neither runs nor reports it."""
        slot = last_fire(self.jobs.trigger(spec.name), now)
        if slot is None or slot < installed:
            return None
        async with self.posting.db.session() as session:
            if await store.slot_taken(session, spec.name, slot):
                return None
        late = (now - slot).total_seconds()
        if late <= spec.catchup:
            log.info("catching up a missed slot", job=spec.name, slot=slot.isoformat())
            return await self.run(spec.name, trigger=Trigger.CATCHUP, scheduled_for=slot)
        why = f"the bot was not running ({late:.0f}s late, catch-up window {spec.catchup:g}s)"
        await self.record_missed(spec, Trigger.CATCHUP, slot, why)
        return None

    async def set_paused(self, name: str, paused: bool) -> bool:
        """Pause or resume ``name`` (kept in the database); False if it already was."""
        self.spec(name)
        async with self.posting.db.session() as session:
            state = await store.ensure_state(session, name)
            changed = state.paused != paused
            state.paused = paused
        return changed

    async def pause(self, name: str) -> bool:
        return await self.set_paused(name, True)

    async def resume(self, name: str) -> bool:
        return await self.set_paused(name, False)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("catch-up failed", error=f"{type(error).__name__}: {error}", exc_info=error)


def _recovered(record: JobRunRecord, failures: int) -> str:
    text = ngettext(
        "✅ Job {job} recovered after {failures} failed run (run #{run}).",
        "✅ Job {job} recovered after {failures} failed runs (run #{run}).",
        failures,
    )
    return text.format(job=record.job, failures=failures, run=record.id)


def _failed(record: JobRunRecord, failures: int) -> str:
    attempts = ngettext("{count} attempt", "{count} attempts", record.attempts)
    text = _(
        "⚠️ Job {job} {status} after {attempts} (run #{run}, {trigger}): {error}. "
        "Consecutive failures: {failures}."
    )
    return text.format(
        job=record.job,
        status=_(STATUS_WORDS.get(record.status, record.status)),
        attempts=attempts.format(count=record.attempts),
        run=record.id,
        trigger=record.trigger,
        error=record.error,
        failures=failures,
    )


STATUS_WORDS = {
    "failed": N_("failed"),
    "timed_out": N_("timed out"),
    "missed": N_("missed"),
}


def _stale(running: list[store.RunningRow], now: datetime, timeout: float) -> dict[int, str]:
    """The ``running`` rows provably abandoned, with why: started longer than ``timeout``
    ago (the timeout bounds a run), or claimed by a process on this host that is gone (a
    process on another host cannot be seen: its run waits for the timeout)."""
    since, dead = now - timedelta(seconds=timeout), {}
    for run in running:
        holder = Holder.parse(run.holder) if run.holder else None
        if run.started_at <= since:
            dead[run.id] = f"no result within the {timeout:g}s timeout (did its process stop?)"
        elif holder is not None and holder.gone():
            dead[run.id] = f"the process running it ({holder.host}, pid {holder.pid}) is gone"
    return dead
