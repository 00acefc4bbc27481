"""Missions, economy and referrals at the service level, on a real migrated SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from structlog.testing import capture_logs

from bot.app import build_application
from bot.core.context import App, Services
from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.settings import Settings
from bot.core.people import users
from bot.modules.economy.jobs import reconcile
from bot.modules.economy.models import Balance, LedgerEntry
from bot.modules.missions import service as missions
from bot.modules.missions import times
from bot.modules.missions.jobs import expire, send_daily
from bot.modules.missions.models import AssignmentStatus, MissionAssignment, Streak
from bot.modules.referrals import service as referrals
from bot.modules.referrals.jobs import process
from bot.modules.referrals.models import ReferralReward
from tests.helpers.clocks import START
from tests.helpers.factories import register_user
from tests.helpers.jobs import manual_context


@dataclass
class Bot:
    app: App
    services: Services
    clock: ManualClock

    async def run(self, job: Any, name: str) -> str:
        result: str = await job(manual_context(self.services, self.app.bot, name))
        return result

    async def join(self, user_id: int, ref: int | None = None) -> None:
        payload = f"ref_{ref}" if ref else None
        async with self.services.db.session() as session:
            await register_user(
                session, user_id, now=self.clock.now(), first_name=f"U{user_id}", payload=payload
            )

    async def mission(self, user_id: int) -> MissionAssignment:
        tz = self.services.settings.tz
        day = self.clock.today(tz)
        async with self.services.uow() as uow:
            found = await missions.mission_for_today(
                uow, user_id=user_id, day=day, ends_at=times.day_end(day, tz), now=self.clock.now()
            )
        assert found is not None
        return found[0]

    async def press(self, user_id: int, assignment_id: int) -> Any:
        async with self.services.uow() as uow:
            outcome = await missions.complete(
                uow,
                user_id=user_id,
                assignment_id=assignment_id,
                day=self.clock.today(self.services.settings.tz),
                now=self.clock.now(),
            )
        return outcome

    async def scalar(self, query: Any) -> Any:
        async with self.services.db.session() as session:
            return await session.scalar(query)

    async def rows(self, query: Any) -> list[Any]:
        async with self.services.db.session() as session:
            return list(await session.scalars(query))


@pytest.fixture
async def bot(migrated: Settings) -> AsyncIterator[Bot]:
    clock = ManualClock(START)
    app = build_application(migrated, clock=clock)
    services = app.services
    yield Bot(app, services, clock)
    await services.db.dispose()


async def _points(bot: Bot, user_id: int) -> int:
    return int(await bot.scalar(select(Balance.points).where(Balance.user_id == user_id)) or 0)


async def test_send_daily_assigns_and_queues_once_per_reachable_user(bot: Bot) -> None:
    """Each reachable user gets one assignment and one outbox row; a second run adds nothing."""
    for user_id in (10, 11, 12):
        await bot.join(user_id)
    async with bot.services.db.session() as session:
        await users.set_reachable(session, 12, False, "blocked")
    first = await bot.run(send_daily, "missions.send_daily")
    second = await bot.run(send_daily, "missions.send_daily")
    assert "assigned 2, queued 2, already had one 0" in first
    assert "assigned 0, queued 0, already had one 2" in second
    rows = await bot.rows(select(OutboxMessage).order_by(OutboxMessage.chat_id))
    assert [r.key for r in rows] == ["mission:2026-11-21:10", "mission:2026-11-21:11"]
    button = rows[0].payload["reply_markup"]["inline_keyboard"][0][0]
    assignment = await bot.scalar(select(MissionAssignment).where(MissionAssignment.user_id == 10))
    assert button["callback_data"] == f"mission:done:{assignment.id}"
    assert rows[0].category == "mission" and "Today's mission" in rows[0].payload["text"]


async def test_send_daily_batches_over_many_users_and_varies_by_day(bot: Bot) -> None:
    """More users than a batch are all served; nobody gets yesterday's mission again."""
    for user_id in range(1000, 1450):
        await bot.join(user_id)
    assert "assigned 450, queued 450" in await bot.run(send_daily, "missions.send_daily")
    bot.clock.advance(timedelta(days=1))
    assert "assigned 450, queued 450" in await bot.run(send_daily, "missions.send_daily")
    rows = await bot.rows(select(MissionAssignment))
    by_user: dict[int, set[int]] = {}
    for row in rows:
        by_user.setdefault(row.user_id, set()).add(row.mission_id)
    assert len(by_user) == 450 and all(len(ids) == 2 for ids in by_user.values())
    assert len({row.mission_id for row in rows}) > 6


async def test_mission_command_after_send_daily_keeps_the_same_assignment(bot: Bot) -> None:
    """/mission before or after the daily send shows the one assignment of the day."""
    await bot.join(10)
    first = await bot.mission(10)
    assert "already had one 1" in await bot.run(send_daily, "missions.send_daily")
    assert (await bot.mission(10)).id == first.id
    assert await bot.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_completion_awards_points_once_and_refuses_the_rest(bot: Bot) -> None:
    """Done completes once with points; a second press, a stranger and a stale id change nothing."""
    await bot.join(10)
    await bot.join(11)
    assignment = await bot.mission(10)
    outcome = await bot.press(10, assignment.id)
    assert isinstance(outcome, missions.Completion) and outcome.streak == 1
    points = outcome.mission.points
    assert await bot.press(10, assignment.id) is missions.Refusal.ALREADY_DONE
    assert await bot.press(11, assignment.id) is missions.Refusal.UNKNOWN
    assert await bot.press(10, 999_999) is missions.Refusal.UNKNOWN
    assert await _points(bot, 10) == points and await _points(bot, 11) == 0
    ledger = await bot.rows(select(LedgerEntry))
    assert [(r.user_id, r.amount, r.reason, r.reference) for r in ledger] == [
        (10, points, "mission", str(assignment.id))
    ]


async def test_yesterdays_mission_is_expired_for_the_button(bot: Bot) -> None:
    """Pressing Done on yesterday's still-open mission is refused and changes nothing."""
    await bot.join(10)
    assignment = await bot.mission(10)
    bot.clock.advance(timedelta(days=1))
    assert await bot.press(10, assignment.id) is missions.Refusal.EXPIRED
    assert await _points(bot, 10) == 0


async def test_seven_day_streak_earns_a_bonus_and_a_gap_resets(bot: Bot) -> None:
    """Days 1..7 in a row: streak 7 and one bonus; skipping a day restarts at 1 with no bonus."""
    await bot.join(10)
    for day in range(1, 8):
        outcome = await bot.press(10, (await bot.mission(10)).id)
        assert outcome.streak == day
        bot.clock.advance(timedelta(days=1))
    bonus = await bot.rows(select(LedgerEntry).where(LedgerEntry.reason == "streak_bonus"))
    assert len(bonus) == 1 and bonus[0].amount == 50
    bot.clock.advance(timedelta(days=1))  # a day without completing
    assert (await bot.press(10, (await bot.mission(10)).id)).streak == 1
    ledger_sum = await bot.scalar(select(func.sum(LedgerEntry.amount)))
    assert await _points(bot, 10) == ledger_sum
    streak = await bot.scalar(select(Streak).where(Streak.user_id == 10))
    assert (streak.current, streak.best) == (1, 7)


async def test_expire_closes_open_missions_and_resets_streaks(bot: Bot) -> None:
    """missions.expire marks yesterday's open missions missed and zeroes those streaks only."""
    await bot.join(10)
    await bot.join(11)
    await bot.press(10, (await bot.mission(10)).id)
    await bot.press(11, (await bot.mission(11)).id)
    bot.clock.advance(timedelta(days=1))
    await bot.mission(10)  # 10 leaves today's open; 11 completes today's
    await bot.press(11, (await bot.mission(11)).id)
    bot.clock.advance(timedelta(days=1))
    assert "closed 1" in await bot.run(expire, "missions.expire")
    statuses = await bot.rows(select(MissionAssignment.status).order_by(MissionAssignment.id))
    assert statuses.count(AssignmentStatus.MISSED) == 1
    streaks = {s.user_id: s.current for s in await bot.rows(select(Streak))}
    assert streaks == {10: 0, 11: 2}
    assert "closed 0" in await bot.run(expire, "missions.expire")


async def test_failing_award_rolls_the_completion_back(bot: Bot) -> None:
    """If a transactional handler fails, the completion is not committed; the user can retry."""
    from bot.modules.missions.events import MissionCompleted

    async def broken(event: MissionCompleted, session: Any) -> None:
        raise RuntimeError("ledger down")

    await bot.join(10)
    assignment = await bot.mission(10)
    bot.services.bus.subscribe_in_transaction(MissionCompleted, broken)
    with capture_logs(), pytest.raises(RuntimeError):
        await bot.press(10, assignment.id)
    status = await bot.scalar(select(MissionAssignment.status))
    assert status == AssignmentStatus.OPEN and await _points(bot, 10) == 0


async def test_referral_reward_paid_once_with_notification(bot: Bot) -> None:
    """An invitee's first completion pays the inviter once and notifies them via the outbox."""
    await bot.join(20)
    await bot.join(21, ref=20)
    await bot.press(21, (await bot.mission(21)).id)
    bot.clock.advance(timedelta(days=1))
    await bot.press(21, (await bot.mission(21)).id)
    assert "paid 0" in await bot.run(process, "referrals.process")
    ledger = await bot.rows(select(LedgerEntry).where(LedgerEntry.user_id == 20))
    assert [(r.amount, r.reason, r.reference) for r in ledger] == [(100, "referral", "21")]
    assert await _points(bot, 20) == 100
    note = await bot.rows(select(OutboxMessage).where(OutboxMessage.key == "referral:21"))
    assert len(note) == 1 and note[0].chat_id == 20 and note[0].category == "reward"


async def test_sweep_pays_a_reward_left_unpaid_by_a_crash(bot: Bot) -> None:
    """A due reward recorded without payment (a crash) is paid by referrals.process, once."""
    await bot.join(20)
    await bot.join(21, ref=20)
    async with bot.services.db.session() as session:
        assert await referrals.record_due(session, 21, bot.clock.now())
    assert "paid 1" in await bot.run(process, "referrals.process")
    assert "paid 0" in await bot.run(process, "referrals.process")
    assert await _points(bot, 20) == 100


async def test_no_reward_for_self_referral_or_cycle(bot: Bot) -> None:
    """A user naming themselves, or two users naming each other, earn nothing."""
    await bot.join(30)
    await bot.join(31)
    async with bot.services.db.session() as session:
        await session.execute(update(users.User).where(users.User.id == 30).values(referrer_id=31))
        await session.execute(update(users.User).where(users.User.id == 31).values(referrer_id=30))
    await bot.join(32)
    async with bot.services.db.session() as session:
        await session.execute(update(users.User).where(users.User.id == 32).values(referrer_id=32))
    for user_id in (30, 31, 32):
        await bot.press(user_id, (await bot.mission(user_id)).id)
    assert await bot.rows(select(ReferralReward)) == []
    assert await bot.rows(select(LedgerEntry).where(LedgerEntry.reason == "referral")) == []


async def test_reconcile_reports_mismatch_and_changes_no_history(bot: Bot) -> None:
    """A tampered balance is reported to the admins once per day; ledger and balance stay."""
    await bot.join(10)
    await bot.press(10, (await bot.mission(10)).id)
    assert "1 balance, 0 mismatches" in await bot.run(reconcile, "economy.reconcile")
    async with bot.services.db.session() as session:
        await session.execute(update(Balance).values(points=Balance.points + 1000))
    ledger_before = [(r.id, r.amount) for r in await bot.rows(select(LedgerEntry))]
    tampered = await _points(bot, 10)
    assert "1 mismatch" in await bot.run(reconcile, "economy.reconcile")
    assert "1 mismatch" in await bot.run(reconcile, "economy.reconcile")
    alerts = await bot.rows(select(OutboxMessage).where(OutboxMessage.category == "alert"))
    assert len(alerts) == 1 and "user 10: stored" in alerts[0].payload["text"]
    assert [(r.id, r.amount) for r in await bot.rows(select(LedgerEntry))] == ledger_before
    assert await _points(bot, 10) == tampered


async def test_stats_provider_counts_assigned_and_completed(bot: Bot) -> None:
    """/stats figures: missions assigned and completed on the day."""
    for user_id in (10, 11, 12):
        await bot.join(user_id)
    await bot.run(send_daily, "missions.send_daily")
    await bot.press(10, (await bot.mission(10)).id)
    async with bot.services.db.session() as session:
        figures = await bot.services.stats.collect(session, START.date())
    assert figures["missions_assigned"] == 3 and figures["missions_completed"] == 1
