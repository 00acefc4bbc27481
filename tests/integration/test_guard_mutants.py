"""Guards pinned down to the line, on a real (migrated) database, where ``make mutate`` showed
no fast test held them: the runner's slow-path slot claim (``store.claim``) to its exact row,
the outbox's batch (``Outbox.enqueue_many``) to its rows and its one policy review."""

from __future__ import annotations

import asyncio
import os
import socket
import types
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import build_application
from bot.core.cluster import Holder
from bot.core.delivery import (
    Candidate,
    Category,
    Decision,
    DeliveryPolicy,
    Outbox,
    OutboxMessage,
    OutboxStatus,
    Priority,
    Queued,
    claims,
)
from bot.core.jobs import JobSpec, statements, store
from bot.core.jobs import runner as runner_module
from bot.core.jobs.models import JobRun, RunStatus, Trigger
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.db import Database
from bot.core.kernel.events import Event, EventBus
from bot.core.kernel.settings import Settings
from bot.core.kernel.uow import UnitOfWork
from bot.core.people.i18n import _ as in_language
from bot.modules.economy.models import Balance
from bot.modules.moderation.events import SubmissionApproved, SubmissionRejected
from bot.modules.moderation.models import State, Submission
from bot.modules.moderation.service import (
    Decided,
    Moderator,
    decide,
    mark_cancelled,
    mark_scheduled,
    withdraw,
)
from bot.modules.referrals import service as referrals
from bot.modules.referrals.models import ReferralReward
from tests.helpers.clocks import START
from tests.helpers.factories import add_message, job_run, register_user
from tests.helpers.jobs import Recorder, runs, services_with
from tests.helpers.owned import own

SLOT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
NOW = SLOT + timedelta(seconds=3)
LATER = NOW + timedelta(hours=3)
STALE = "This button is no longer valid."


async def test_the_slow_path_claims_a_slot_once_with_its_row_as_asked(db: Database) -> None:
    async with db.session() as session:
        first = await store.claim(session, "demo.tick", SLOT, "manual", NOW, requested_by=7)
        again = await store.claim(session, "demo.tick", SLOT, "schedule", NOW, requested_by=8)
        other = await store.claim(
            session, "demo.tick", SLOT + timedelta(minutes=1), "schedule", NOW
        )
    assert isinstance(first, int) and isinstance(other, int) and first != other
    assert again is None  # the slot was taken: no second row, no id
    async with db.session() as session:
        rows = (await session.scalars(select(JobRun).order_by(JobRun.id))).all()
    assert [(r.id, r.scheduled_for, r.trigger, r.requested_by) for r in rows] == [
        (first, SLOT, "manual", 7),
        (other, SLOT + timedelta(minutes=1), "schedule", None),
    ]
    assert all(r.status == RunStatus.RUNNING and r.attempts == 0 for r in rows)
    assert all(r.started_at == NOW and r.finished_at is None for r in rows)


class _Review(DeliveryPolicy):
    """Mutes user 2, holds user 3 until LATER, lets user 4 go at an earlier time (now wins);
    records what it was asked."""

    __slots__ = ("asked",)

    def __init__(self) -> None:
        self.asked: list[list[Candidate]] = []

    async def decide(
        self, session: AsyncSession, *, user_id: int, category: str, now: datetime
    ) -> Decision:
        raise AssertionError("a batch is reviewed at once, not decided row by row")

    async def review(
        self, session: AsyncSession, rows: Sequence[Candidate], now: datetime
    ) -> dict[int, Decision]:
        assert isinstance(session, AsyncSession) and now == NOW  # in the batch's transaction
        self.asked.append(list(rows))
        plan = {
            2: Decision(False),
            3: Decision(True, LATER),
            4: Decision(True, NOW - timedelta(hours=1)),
        }
        return {row.row_id: plan[row.user_id] for row in rows if row.user_id in plan}


def _queued(key: str, user_id: int | None, category: Category = Category.MISSION) -> Queued:
    return Queued(
        key=key,
        chat_id=user_id or -100,
        user_id=user_id,
        category=category,
        priority=Priority.MISSION,
        text=f"text of {key}",
        payload={"parse_mode": "HTML"},
    )


async def _outbox_rows(db: Database) -> dict[str, OutboxMessage]:
    async with db.session() as session:
        return {r.key: r for r in (await session.scalars(select(OutboxMessage))).all()}


async def test_a_batch_is_queued_as_the_policy_says_in_one_review(db: Database) -> None:
    """The missions sweeper's batch: each row written as asked, muted users left out, held
    ones due later, transactional rows and rows without a user never asked about, and a key
    already queued left alone and not counted."""
    policy = _Review()
    outbox = Outbox(ManualClock(NOW), policy)
    async with db.session() as session:
        assert await outbox.enqueue_many(session, []) == 0
        assert await outbox.enqueue_many(session, [_queued("m:2", 2)]) == 0  # muted: none
    assert policy.asked == [[Candidate(0, 2, Category.MISSION)]]  # no review of nothing
    assert await _outbox_rows(db) == {}
    old = _queued("m:5", 5)
    async with db.session() as session:
        assert await Outbox(ManualClock(NOW - timedelta(days=1))).enqueue_many(session, [old]) == 1
    batch = [
        _queued("m:1", 1),
        _queued("m:2", 2),
        _queued("m:3", 3, Category.ANNOUNCEMENT),
        _queued("m:4", 4),
        _queued("alert:2", 2, Category.ALERT),
        _queued("post", None, Category.POST),
        replace(old, text="changed"),
    ]
    policy.asked.clear()
    async with db.session() as session:
        assert await outbox.enqueue_many(session, batch) == 5
    assert policy.asked == [
        [
            Candidate(0, 1, Category.MISSION),
            Candidate(1, 2, Category.MISSION),
            Candidate(2, 3, Category.ANNOUNCEMENT),
            Candidate(3, 4, Category.MISSION),
            Candidate(6, 5, Category.MISSION),
        ]
    ]
    rows = await _outbox_rows(db)
    assert sorted(rows) == ["alert:2", "m:1", "m:3", "m:4", "m:5", "post"]
    assert rows["m:5"].payload["text"] == "text of m:5"  # the key was there: left alone
    assert rows["m:5"].created_at == NOW - timedelta(days=1)
    for key, row in rows.items():
        if key == "m:5":
            continue
        m = next(m for m in batch if m.key == key)
        assert (row.chat_id, row.user_id, row.category, row.priority) == (
            m.chat_id,
            m.user_id,
            m.category,
            Priority.MISSION,
        )
        assert (row.method, row.payload) == (
            "sendMessage",
            {"parse_mode": "HTML", "text": f"text of {key}"},
        )
        assert (row.status, row.attempts, row.created_at) == (OutboxStatus.PENDING, 0, NOW)
        assert (row.sent_at, row.claimed_by, row.claim_token) == (None, None, None)
        assert row.next_attempt_at == (LATER if key == "m:3" else NOW)


class _Outage:
    """The runner's claim refused ``refusals`` times as by an unreachable database (the real
    claim after that); the backing-off sleeps advance the manual clock instead of waiting."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, refusals: int, error: Exception
    ) -> None:
        self.clock, self.refusals, self.error = clock, refusals, error
        self.claims: list[tuple[str, datetime, int | None]] = []
        self.slept: list[float] = []
        self.on_sleep: Callable[[], None] = lambda: None
        real_claim = runner_module.JobRunner._claim
        real_sleep = asyncio.sleep

        async def claim(
            runner: runner_module.JobRunner,
            spec: JobSpec,
            trigger: Trigger,
            slot: datetime,
            requested_by: int | None,
        ) -> int | None:
            self.claims.append((trigger, slot, requested_by))
            if len(self.claims) <= self.refusals:
                raise self.error
            return await real_claim(runner, spec, trigger, slot, requested_by)

        async def sleep(delay: float) -> None:
            self.slept.append(delay)
            self.clock.advance(delay)
            self.on_sleep()
            await real_sleep(0)

        asyncio_here = types.SimpleNamespace(**vars(asyncio))
        asyncio_here.sleep = sleep
        monkeypatch.setattr(runner_module.JobRunner, "_claim", claim)
        monkeypatch.setattr(runner_module, "asyncio", asyncio_here)


async def test_a_slot_waits_out_a_database_outage_and_runs_once_as_a_catch_up(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused claims are tried again, backing off from 0.5 s doubling up to 30 s; the slot
    then runs once, as a catch-up, with who asked for it."""
    clock = ManualClock(SLOT)
    job = Recorder()
    services = services_with(migrated, clock, job.spec(catchup=3600))
    outage = _Outage(monkeypatch, clock, 8, ConnectionRefusedError("database is away"))
    record = await services.runner.run(
        "test.job", trigger=Trigger.SCHEDULED, scheduled_for=SLOT, requested_by=None
    )
    assert outage.slept == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert outage.claims == [
        (Trigger.SCHEDULED, SLOT, None),
        *[(Trigger.CATCHUP, SLOT, None)] * 8,
    ]
    assert record is not None and record.status == RunStatus.SUCCEEDED
    assert [(r.trigger, r.status, r.scheduled_for) for r in await runs(services)] == [
        (Trigger.CATCHUP, RunStatus.SUCCEEDED, SLOT)
    ]
    assert [(c.trigger, c.scheduled_for) for c in job.calls] == [(Trigger.CATCHUP, SLOT)]


async def test_a_slot_refused_up_to_its_catch_up_window_is_still_claimed_then_missed(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exactly at the end of the catch-up window the claim is still tried; past it the slot
    is recorded missed, with why, and does not run."""
    clock = ManualClock(SLOT)
    job = Recorder()
    services = services_with(migrated, clock, job.spec(catchup=1.5))
    outage = _Outage(monkeypatch, clock, 2, ConnectionRefusedError("database is away"))
    record = await services.runner.run("test.job", trigger=Trigger.SCHEDULED, scheduled_for=SLOT)
    assert outage.slept == [0.5, 1.0] and len(outage.claims) == 3  # late 1.5 = the window
    assert record is not None and record.trigger == Trigger.CATCHUP
    later = SLOT + timedelta(days=1)
    clock.set(later)
    outage.claims.clear()
    outage.slept.clear()
    outage.refusals = 3
    assert (
        await services.runner.run("test.job", trigger=Trigger.SCHEDULED, scheduled_for=later)
        is None
    )
    assert outage.slept == [0.5, 1.0, 2.0] and len(outage.claims) == 3  # 3.5 s late: missed
    assert len(job.calls) == 1
    missed = (await runs(services))[-1]
    assert (missed.scheduled_for, missed.status, missed.trigger) == (
        later,
        RunStatus.MISSED,
        Trigger.CATCHUP,
    )
    assert missed.error == "missed: the database was unreachable"


@pytest.mark.parametrize(
    ("trigger", "error"),
    [
        (Trigger.MANUAL, ConnectionRefusedError("database is away")),
        (Trigger.SCHEDULED, RuntimeError("a bug, not an outage")),
    ],
)
async def test_a_manual_run_or_another_error_is_not_retried(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch, trigger: Trigger, error: Exception
) -> None:
    """A manual run refused by the database fails at once (an admin is waiting for the
    answer), and an error that is no outage is raised, not waited out."""
    clock = ManualClock(SLOT)
    services = services_with(migrated, clock, Recorder().spec(catchup=3600))
    outage = _Outage(monkeypatch, clock, 1, error)
    with pytest.raises(type(error)):
        await services.runner.run("test.job", trigger=trigger, scheduled_for=SLOT)
    assert outage.slept == [] and len(outage.claims) == 1


async def test_a_stopping_runner_does_not_wait_for_the_database(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the bot is stopping, a refused claim is raised, not tried again."""
    clock = ManualClock(SLOT)
    services = services_with(migrated, clock, Recorder().spec(catchup=3600))
    outage = _Outage(monkeypatch, clock, 5, ConnectionRefusedError("database is away"))

    def stopping() -> None:
        services.runner._stopping = True

    outage.on_sleep = stopping
    with pytest.raises(ConnectionRefusedError):
        await services.runner.run("test.job", trigger=Trigger.SCHEDULED, scheduled_for=SLOT)
    assert outage.slept == [0.5] and len(outage.claims) == 2


def test_a_running_row_is_stale_past_its_timeout_or_when_its_process_on_this_host_is_gone() -> None:
    """The rows a claim may reap, with why; a row of a live process, of a process on another
    host, or without a readable holder waits for the timeout."""
    here, me = socket.gethostname(), os.getpid()
    alive = str(Holder.this_process())
    gone = str(Holder(here, me, "not-this-process-start", "n0"))  # the pid names another
    elsewhere = str(Holder("another-host.invalid", me, "not-this-process-start", "n1"))
    unknown_start = str(Holder(here, me, "?", "n2"))
    since = NOW - timedelta(seconds=600)
    rows = [
        store.RunningRow(1, since, None),
        store.RunningRow(2, since + timedelta(microseconds=1), None),
        store.RunningRow(3, NOW, gone),
        store.RunningRow(4, NOW, alive),
        store.RunningRow(5, NOW, elsewhere),
        store.RunningRow(6, NOW, unknown_start),
        store.RunningRow(7, since - timedelta(hours=1), gone),
        store.RunningRow(8, NOW, "not a holder"),
        store.RunningRow(9, NOW, ""),
    ]
    timed_out = "no result within the 600s timeout (did its process stop?)"
    assert runner_module._stale(rows, NOW, 600.0) == {
        1: timed_out,
        3: f"the process running it ({here}, pid {me}) is gone",
        7: timed_out,
    }
    assert runner_module._stale([], NOW, 600.0) == {}
    assert runner_module._stale(rows[:2], NOW, 599.5) == {
        1: "no result within the 599.5s timeout (did its process stop?)",
        2: "no result within the 599.5s timeout (did its process stop?)",
    }


async def test_the_first_moderation_decision_wins_and_is_recorded_as_made(db: Database) -> None:
    """Of two decisions on one suggestion the first changes it and raises its event, the
    second is told it lost and changes nothing; each decision writes who, when, why and
    the time chosen exactly, on its own row only; a rejection keeps no time, an approval
    no reason."""
    bus, events = EventBus(), list[Event]()

    async def record(event: Event) -> None:
        events.append(event)

    bus.subscribe(SubmissionApproved, record)
    bus.subscribe(SubmissionRejected, record)
    async with db.session() as session:
        session.add_all(
            Submission(
                author_id=40 + n,
                author_name=f"Author {n}",
                kind="text",
                text=f"post {n}",
                content_hash=f"hash {n}",
                created_at=SLOT,
            )
            for n in (1, 2, 3)
        )
    long_name = "M" * 200
    async with UnitOfWork(db, bus) as uow:
        first = await decide(
            uow,
            1,
            approve=True,
            by=Moderator(7, long_name),
            reason="not kept",
            now=NOW,
            publish_at=LATER,
            slot_minutes=30,
        )
        second = await decide(
            uow, 1, approve=False, by=Moderator(8, "Other"), reason="no", now=LATER
        )
        rejected = await decide(
            uow,
            2,
            approve=False,
            by=Moderator(8, "Other"),
            reason="off topic",
            now=LATER,
            publish_at=LATER,
        )
        nothing = await decide(uow, 99, approve=True, by=Moderator(8, "Other"), reason="", now=NOW)
    assert (first.won, second.won, rejected.won, nothing) == (
        True,
        False,
        True,
        Decided(False, None),
    )
    assert first.submission is not None and second.submission is not None
    assert second.submission.id == 1
    async with db.session() as session:
        rows = {s.id: s for s in (await session.scalars(select(Submission))).all()}
    decided = [
        (s.state, s.reason, s.decided_by, s.decided_by_name, s.decided_at, s.publish_at)
        for s in (rows[1], rows[2], rows[3])
    ]
    assert decided == [
        (State.APPROVED, None, 7, "M" * 128, NOW, LATER),
        (State.REJECTED, "off topic", 8, "Other", LATER, None),
        (State.PENDING, None, None, None, None, None),
    ]
    assert events == [
        SubmissionApproved(1, 41, 7, "post 1", None, None, publish_at=LATER, slot_minutes=30),
        SubmissionRejected(2, 42, 8, "off topic"),
    ]


async def test_a_withdrawn_or_decided_suggestion_cannot_be_decided_again(db: Database) -> None:
    """The compare-and-set holds against the author too: a withdrawn suggestion stays
    withdrawn, and a rejected one is not approved after."""
    async with db.session() as session:
        session.add_all(
            Submission(
                author_id=41, kind="text", text=f"post {n}", content_hash=f"h{n}", created_at=SLOT
            )
            for n in (1, 2)
        )
    async with UnitOfWork(db, EventBus()) as uow:
        assert (await withdraw(uow, 1, 41, NOW)).won
        late = await decide(uow, 1, approve=True, by=Moderator(7, "M"), reason="", now=LATER)
        assert (await decide(uow, 2, approve=False, by=Moderator(7, "M"), reason="x", now=NOW)).won
        again = await decide(uow, 2, approve=True, by=Moderator(8, "N"), reason="", now=LATER)
    assert not late.won and not again.won
    async with db.session() as session:
        rows = {s.id: s for s in (await session.scalars(select(Submission))).all()}
    assert [(s.state, s.decided_by, s.decided_at) for s in (rows[1], rows[2])] == [
        (State.WITHDRAWN, 41, NOW),
        (State.REJECTED, 7, NOW),
    ]


async def test_a_referral_reward_is_recorded_once_and_paid_once_to_its_inviter(
    migrated: Settings,
) -> None:
    """A reward is recorded once per invitee (not for a user nobody invited) and paid once,
    that invitee's only; the inviter is told, in their chat, who completed and the points."""
    clock = ManualClock(START)
    services = own(build_application(migrated, clock=clock).services)
    inviter, anna, ben = 40, 41, 42
    async with services.db.session() as session:
        await register_user(session, inviter, now=START, first_name="Inviter")
        await register_user(session, anna, now=START, first_name="Anna", payload=f"ref_{inviter}")
        await register_user(session, ben, now=START, first_name="Ben", payload=f"ref_{inviter}")
        assert await referrals.record_due(session, anna, START) is True
        assert await referrals.record_due(session, anna, LATER) is False  # already recorded
        assert await referrals.record_due(session, inviter, START) is False  # nobody invited
        assert await referrals.record_due(session, ben, START) is True
    clock.advance(timedelta(minutes=5))
    async with services.uow() as uow:
        assert await referrals.pay(uow, services, anna) is True
        assert await referrals.pay(uow, services, anna) is False
        assert await referrals.pay(uow, services, inviter) is False
    async with services.db.session() as session:
        rewards = (await session.scalars(select(ReferralReward))).all()
        notices = (await session.scalars(select(OutboxMessage))).all()
        points = await session.scalar(select(Balance.points).where(Balance.user_id == inviter))
    assert sorted((r.invitee_id, r.inviter_id, r.points, r.paid_at) for r in rewards) == [
        (anna, inviter, referrals.REWARD, START + timedelta(minutes=5)),
        (ben, inviter, referrals.REWARD, None),  # recorded, not paid by Anna's payment
    ]
    assert points == referrals.REWARD
    assert [(n.key, n.chat_id, n.user_id, n.category, n.priority) for n in notices] == [
        (f"referral:{anna}", inviter, inviter, Category.REWARD, Priority.NOTIFICATION)
    ]
    assert notices[0].payload["text"] == (
        "🎉 Anna completed their first mission — you earned 100 points! See /balance."
    )


async def test_a_cancellation_ends_only_the_suggestion_of_that_post(db: Database) -> None:
    """An admin cancelling a scheduled post rejects the suggestion it was made from, not one
    whose post is another (the extra condition of the compare-and-set); a decision without a
    chosen slot length keeps the default hour."""
    events = list[Event]()

    async def record(event: Event) -> None:
        events.append(event)

    bus = EventBus()
    bus.subscribe(SubmissionApproved, record)
    async with db.session() as session:
        session.add(
            Submission(author_id=41, kind="text", text="p", content_hash="h", created_at=SLOT)
        )
    async with UnitOfWork(db, bus) as uow:
        assert (await decide(uow, 1, approve=True, by=Moderator(7, "M"), reason="", now=NOW)).won
        assert await mark_scheduled(uow, 1, 5, LATER) is not None
        assert await mark_cancelled(uow, 1, 6) is None  # another post
    async with db.session() as session:
        assert (await session.get_one(Submission, 1)).state == State.SCHEDULED
    async with UnitOfWork(db, bus) as uow:
        cancelled = await mark_cancelled(uow, 1, 5)
    assert cancelled is not None and cancelled.state == State.REJECTED
    assert [e.slot_minutes for e in events if isinstance(e, SubmissionApproved)] == [60]


async def test_the_fast_path_claims_a_free_slot_as_a_running_row_with_no_attempt_yet(
    db: Database,
) -> None:
    async with db.engine.begin() as conn:
        run_id = await statements.claim_free(
            conn,
            job="demo.tick",
            slot=SLOT,
            trigger=Trigger.MANUAL,
            manual=True,
            now=NOW,
            requested_by=7,
            holder="host:1:start:nonce",
        )
    assert run_id is not None
    async with db.session() as session:
        row = await session.get_one(JobRun, run_id)
    assert (row.job, row.scheduled_for, row.trigger, row.status) == (
        "demo.tick",
        SLOT,
        Trigger.MANUAL,
        RunStatus.RUNNING,
    )
    assert (row.attempts, row.started_at, row.requested_by, row.holder) == (
        0,
        NOW,
        7,
        "host:1:start:nonce",
    )


async def test_a_manual_run_is_claimed_with_who_asked_for_it(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(SLOT)
    services = services_with(migrated, clock, Recorder().spec())
    outage = _Outage(monkeypatch, clock, 0, ConnectionRefusedError("never raised"))
    record = await services.runner.run(
        "test.job", trigger=Trigger.MANUAL, scheduled_for=SLOT, requested_by=7
    )
    assert outage.claims == [(Trigger.MANUAL, SLOT, 7)]
    assert record is not None and record.requested_by == 7


async def test_a_late_slot_is_claimed_when_the_database_answers_at_once(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its catch-up window a slot is recorded missed only after an outage: with the
    database answering, the first claim is made whatever the hour."""
    clock = ManualClock(SLOT + timedelta(seconds=10))
    job = Recorder()
    services = services_with(migrated, clock, job.spec(catchup=1))
    outage = _Outage(monkeypatch, clock, 0, ConnectionRefusedError("never raised"))
    record = await services.runner.run("test.job", trigger=Trigger.SCHEDULED, scheduled_for=SLOT)
    assert record is not None and record.status == RunStatus.SUCCEEDED
    assert outage.claims == [(Trigger.SCHEDULED, SLOT, None)] and len(job.calls) == 1


async def test_a_claimed_row_names_its_process_and_who_asked_on_either_path(
    migrated: Settings,
) -> None:
    """The free slot (one statement) and the slot claimed after reaping a stale run (the
    slow path) both write the claiming process (what makes its run reapable at once if it
    is killed) and who asked; the stale run is closed at the claim's time."""
    clock = ManualClock(NOW)
    services = services_with(migrated, clock, Recorder().spec(timeout=600))
    fast = await services.runner.run(
        "test.job", trigger=Trigger.MANUAL, scheduled_for=SLOT, requested_by=7
    )
    assert fast is not None
    async with services.db.session() as session:
        session.add(job_run("test.job", NOW - timedelta(hours=2), status="running"))
    clock.advance(timedelta(minutes=1))
    slow = await services.runner.run(
        "test.job", trigger=Trigger.MANUAL, scheduled_for=SLOT + timedelta(hours=1), requested_by=8
    )
    assert slow is not None and slow.status == RunStatus.SUCCEEDED
    rows = {r.id: r for r in await runs(services)}
    assert [(rows[r.id].requested_by, rows[r.id].holder) for r in (fast, slow)] == [
        (7, services.runner.holder),
        (8, services.runner.holder),
    ]
    [stale] = [r for r in rows.values() if r.id not in (fast.id, slow.id)]
    assert (stale.status, stale.finished_at) == (RunStatus.TIMED_OUT, NOW + timedelta(minutes=1))


async def _queue_for_claims(db: Database) -> dict[str, int]:
    """Rows due now, in this order: three to chat 1, two to chat 2, one to a group."""
    outbox = Outbox(ManualClock(NOW - timedelta(minutes=1)))
    async with db.session() as session:
        for n, chat_id in enumerate((1, 1, 1, 2, 2, -100)):
            await add_message(session, outbox, f"m{n}:{chat_id}", chat_id)
    async with db.session() as session:
        rows = (await session.execute(select(OutboxMessage.key, OutboxMessage.id))).all()
    return {key: row_id for key, row_id in rows}


async def _claim(db: Database, **how: Any) -> list[str]:
    async with db.session() as session:
        claimed = await claims.claim_due(
            session, now=NOW, lease=timedelta(seconds=60), owner="me", **how
        )
    return [row.key for row in claimed]


async def test_a_claim_takes_at_most_its_limit_and_its_share_per_chat_counting_those_held(
    db: Database,
) -> None:
    """Rows in order, at most ``limit``, at most ``per_chat`` to one chat counting the rows
    of that chat the sender already holds; a private-only claim leaves groups alone; the
    claimed rows are leased (due again only when the lease ends)."""
    await _queue_for_claims(db)
    assert await _claim(db, limit=2) == ["m0:1", "m1:1"]
    assert await _claim(db, limit=10, per_chat=2, held={1: 1}, private_only=True) == [
        "m2:1",
        "m3:2",
        "m4:2",
    ]
    assert await _claim(db, limit=10) == ["m5:-100"]
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert {(r.claimed_by, r.next_attempt_at, r.attempts) for r in rows} == {
        ("me", NOW + timedelta(seconds=60), 0)
    }


async def test_a_claim_counts_each_row_it_takes_against_its_chat(db: Database) -> None:
    await _queue_for_claims(db)
    assert await _claim(db, limit=10, per_chat=2) == ["m0:1", "m1:1", "m3:2", "m4:2", "m5:-100"]


async def test_an_outcome_records_the_send_time_only_for_a_sent_row(db: Database) -> None:
    """A sent row gets its send time; a failed or retried one none; each gets its attempt,
    its message id and error, and is unclaimed."""
    await _queue_for_claims(db)
    async with db.session() as session:
        held = await claims.claim_due(
            session, now=NOW, limit=3, lease=timedelta(seconds=60), owner="me"
        )
        sent, failed, retried = held
        lost = await claims.record(
            session,
            [
                claims.Outcome(sent, OutboxStatus.SENT, sent.chat_id, LATER, message_id=9),
                claims.Outcome(failed, OutboxStatus.FAILED, failed.chat_id, LATER, error="400"),
                claims.Outcome(
                    retried,
                    OutboxStatus.PENDING,
                    retried.chat_id,
                    LATER,
                    retry_at=LATER + timedelta(hours=1),
                ),
            ],
        )
    assert lost == set()
    async with db.session() as session:
        rows = {r.id: r for r in (await session.scalars(select(OutboxMessage))).all()}
    written = [
        (r.status, r.sent_at, r.message_id, r.last_error, r.attempts, r.claimed_by)
        for r in (rows[sent.id], rows[failed.id], rows[retried.id])
    ]
    assert written == [
        (OutboxStatus.SENT, LATER, 9, None, 1, None),
        (OutboxStatus.FAILED, None, None, "400", 1, None),
        (OutboxStatus.PENDING, None, None, None, 1, None),
    ]
    assert rows[retried.id].next_attempt_at == LATER + timedelta(hours=1)


class _Decides(DeliveryPolicy):
    """Mutes user 2; holds user 3 until LATER, user 4 until an hour ago (now wins); records
    what it was asked, row by row."""

    __slots__ = ("asked",)

    def __init__(self) -> None:
        self.asked: list[tuple[bool, int, str, datetime]] = []

    async def decide(
        self, session: AsyncSession, *, user_id: int, category: str, now: datetime
    ) -> Decision:
        self.asked.append((isinstance(session, AsyncSession), user_id, category, now))
        held = {3: LATER, 4: NOW - timedelta(hours=1)}
        return Decision(user_id != 2, held.get(user_id))


async def test_one_message_is_queued_as_the_users_preferences_say(db: Database) -> None:
    """Optional messages to a user are asked about (muted: not queued, False); the later of
    the caller's and the preference's times wins, never before now; transactional messages
    and messages without a user are never asked; a key queued already gives False; a text
    given as a function is written in the reader's language."""
    policy = _Decides()
    outbox = Outbox(ManualClock(NOW), policy)
    hour = timedelta(hours=1)
    async with db.session() as session:
        await register_user(session, 3, now=START, language_code="uk")
        queued = [
            await outbox.enqueue(
                session,
                key=key,
                chat_id=chat_id,
                user_id=user_id,
                category=category,
                priority=Priority.MISSION,
                text=STALE,
                not_before=not_before,
            )
            for key, chat_id, user_id, category, not_before in [
                ("muted", 2, 2, Category.MISSION, None),
                ("held", 3, 3, Category.MISSION, None),
                ("held-caller-later", 3, 3, Category.REMINDER, LATER + hour),
                ("held-caller-earlier", 3, 3, Category.ANNOUNCEMENT, LATER - hour),
                ("past", 4, 4, Category.MISSION, None),
                ("receipt", 2, 2, Category.RECEIPT, LATER),
                ("group", -100, None, Category.MISSION, NOW - hour),
                ("group", -100, None, Category.MISSION, None),
            ]
        ]
        translated = await outbox.enqueue(
            session,
            key="uk",
            chat_id=3,
            category=Category.RECEIPT,
            priority=1,
            text=lambda: in_language(STALE),
        )
    assert queued == [False, True, True, True, True, True, True, False] and translated
    assert policy.asked == [
        (True, 2, Category.MISSION, NOW),
        (True, 3, Category.MISSION, NOW),
        (True, 3, Category.REMINDER, NOW),
        (True, 3, Category.ANNOUNCEMENT, NOW),
        (True, 4, Category.MISSION, NOW),
    ]
    rows = await _outbox_rows(db)
    assert {key: row.next_attempt_at for key, row in rows.items()} == {
        "held": LATER,
        "held-caller-later": LATER + hour,
        "held-caller-earlier": LATER,
        "past": NOW,
        "receipt": LATER,
        "group": NOW,
        "uk": NOW,
    }
    assert rows["uk"].payload == {"text": "Ця кнопка більше не дійсна."}
    assert rows["held"].payload == {"text": STALE}


async def test_claimed_rows_come_in_priority_order_with_their_own_fields(db: Database) -> None:
    """An alert queued after a broadcast is handed over first; each claimed row carries its
    own priority, category, user, token and owner."""
    outbox = Outbox(ManualClock(NOW - timedelta(minutes=1)))
    async with db.session() as session:
        await add_message(session, outbox, "broadcast", 5)
        await add_message(
            session, outbox, "alert", 6, category=Category.ALERT, priority=Priority.ALERT
        )
    async with db.session() as session:
        claimed = await claims.claim_due(
            session, now=NOW, limit=10, lease=timedelta(seconds=60), owner="me"
        )
    assert [(c.key, c.priority, c.category, c.user_id, c.owner) for c in claimed] == [
        ("alert", Priority.ALERT, Category.ALERT, 6, "me"),
        ("broadcast", Priority.BROADCAST, Category.ANNOUNCEMENT, 5, "me"),
    ]
    assert claimed[0].token == claimed[1].token and len(claimed[0].token) == 32


async def test_a_decision_answers_with_the_suggestion_as_decided_even_if_read_before(
    db: Database,
) -> None:
    """A handler that read the suggestion in its transaction before deciding gets it back
    as decided (not its earlier reading), and the event of the decision made."""
    events = list[Event]()

    async def record(event: Event) -> None:
        events.append(event)

    bus = EventBus()
    bus.subscribe(SubmissionApproved, record)
    bus.subscribe(SubmissionRejected, record)
    async with db.session() as session:
        session.add(
            Submission(author_id=41, kind="text", text="p", content_hash="h", created_at=SLOT)
        )
    async with UnitOfWork(db, bus) as uow:
        before = await uow.session.get_one(Submission, 1)
        assert before.state == State.PENDING
        decided = await decide(uow, 1, approve=True, by=Moderator(7, "M"), reason="", now=NOW)
    assert decided.won and decided.submission is not None
    assert (decided.submission.state, decided.submission.decided_by) == (State.APPROVED, 7)
    assert [type(e) for e in events] == [SubmissionApproved]


async def test_a_sender_holding_a_chats_share_still_gets_the_other_chats_rows(
    db: Database,
) -> None:
    """Rows of a chat whose share the sender already holds are not even read: a chat with a
    long queue cannot crowd the others out of a claim; a chat below its share gets the rest
    of it."""
    await _queue_for_claims(db)  # chat 1's three rows come first
    assert await _claim(db, limit=1, per_chat=2, held={1: 2}) == ["m3:2"]
    assert await _claim(db, limit=10, per_chat=2, held={1: 1, 2: 1}) == [
        "m0:1",
        "m4:2",
        "m5:-100",
    ]
