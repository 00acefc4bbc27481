"""missions.sweep on a real migrated database: each user's own hour, DST, crashes, catch-up."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.app import build_application
from bot.core.context import App, Services, services_of
from bot.core.delivery import OutboxMessage
from bot.core.jobs import JobContext
from bot.core.jobs.jobqueue import schedule_jobs
from bot.core.jobs.models import Trigger
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.events import UserZoneChanged
from bot.core.people import user_times as schedules
from bot.core.people import users
from bot.core.people.user_times import UserSchedule, wall_time
from bot.modules.missions import service as missions
from bot.modules.missions import sweeper, times
from bot.modules.missions.events import MissionAssigned
from bot.modules.missions.jobs import expire
from bot.modules.missions.models import AssignmentStatus, MissionAssignment
from bot.modules.missions.sweeper import sweep
from bot.modules.notifications import service as notifications
from tests.conftest import make_settings, migrate
from tests.helpers.factories import register_user
from tests.helpers.owned import own

START = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # 05:00 in Kyiv, 22:00 the day before in NY
STEP = timedelta(minutes=10)


@dataclass
class Bot:
    app: App
    services: Services
    clock: ManualClock

    async def join(self, user_id: int, zone: str | None = None, at: str | None = None) -> None:
        """Register, then choose a zone and a mission time as /timezone and /missiontime do."""
        async with self.services.db.session() as session:
            await register_user(session, user_id, now=self.clock.now(), first_name=f"U{user_id}")
        async with self.services.uow() as uow:
            await users.set_timezone(uow.session, user_id, zone)
            await uow.publish(UserZoneChanged(user_id, zone))
            if at is not None:
                minute = times.parse_time_of_day(at)
                await times.reschedule(self.services, uow.session, user_id, minute)

    async def sweep(self) -> str:
        ctx = JobContext(
            self.services, self.app.bot, "missions.sweep", "scheduled", self.clock.now()
        )
        return await sweep(ctx)

    async def sweep_until(self, end: datetime) -> None:
        while self.clock.now() < end:
            self.clock.advance(STEP)
            await self.sweep()

    async def queued(self, user_id: int, prefix: str = "mission:") -> list[OutboxMessage]:
        async with self.services.db.session() as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.user_id == user_id, OutboxMessage.key.startswith(prefix))
                .order_by(OutboxMessage.id)
            )
            return list(rows)

    async def due(self, user_id: int, kind: str = times.MISSION) -> datetime:
        async with self.services.db.session() as session:
            row = await session.get(UserSchedule, (user_id, kind))
            assert row is not None
            return row.due_at


@pytest.fixture
async def bot(tmp_path: Path, schema_template: Path) -> AsyncIterator[Bot]:
    settings = make_settings(tmp_path, timezone="Europe/Kyiv")
    await migrate(settings.database_url, schema_template)
    clock = ManualClock(START)
    app = build_application(settings, clock=clock)
    services = services_of(app)
    yield Bot(app, services, clock)
    await services.db.dispose()


async def test_two_zones_each_get_the_mission_at_their_own_eight(bot: Bot) -> None:
    """Kyiv's 08:00 and New York's 08:00 are seven hours apart: each user's mission is
    queued at their own 08:00, once."""
    await bot.join(1, "Europe/Kyiv", "08:00")
    await bot.join(2, "America/New_York", "08:00")
    await bot.sweep_until(datetime(2026, 11, 21, 14, 0, tzinfo=UTC))
    (kyiv,) = await bot.queued(1)
    (new_york,) = await bot.queued(2)
    assert kyiv.created_at == datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    assert new_york.created_at == datetime(2026, 11, 21, 13, 0, tzinfo=UTC)
    assert kyiv.key == "mission:2026-11-21:1" and "reply_markup" in kyiv.payload


DST_NIGHTS = [
    ("Europe/Kyiv", date(2027, 3, 28), "03:30", time(4, 0)),  # spring forward
    ("Europe/Kyiv", date(2026, 10, 25), "03:30", time(3, 30)),  # fall back
    ("America/New_York", date(2027, 3, 14), "02:30", time(3, 0)),
    ("America/New_York", date(2026, 11, 1), "01:30", time(1, 30)),
    ("Australia/Lord_Howe", date(2026, 10, 4), "02:10", time(2, 30)),  # a 30-minute shift
    ("Australia/Lord_Howe", date(2027, 4, 4), "01:40", time(1, 40)),
    ("Asia/Kathmandu", date(2026, 10, 25), "08:00", time(8, 0)),  # +05:45, no DST
]


@pytest.mark.parametrize(("zone", "day", "at", "fires_at"), DST_NIGHTS)
async def test_a_dst_night_queues_the_mission_exactly_once(
    bot: Bot, zone: str, day: date, at: str, fires_at: time
) -> None:
    """Through a DST night in either direction, swept every 10 minutes: one mission that
    day, at the time asked (or at the end of a spring-forward gap), and the next due the
    following day, not the repeated hour."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    bot.clock.set(datetime.combine(day - timedelta(days=1), time(20), tz))
    await bot.join(1, zone, at)
    await bot.sweep_until(datetime.combine(day, time(12), tz))
    (row,) = await bot.queued(1)
    local = row.created_at.astimezone(tz)
    assert (local.date(), local.time()) == (day, fires_at)
    assert row.key == f"mission:{day.isoformat()}:1"
    next_local = (await bot.due(1)).astimezone(tz)
    assert next_local.date() == day + timedelta(days=1)
    assert next_local.time() == wall_time(times.parse_time_of_day(at))


async def test_a_failed_batch_queues_nothing_and_the_next_sweep_sends_once(bot: Bot) -> None:
    """A crash inside a batch rolls back the outbox rows, the assignments and the due
    times together: nothing is sent twice nor skipped."""
    await bot.join(1, "Europe/Kyiv", "08:00")
    await bot.join(2, "Europe/Kyiv", "08:00")
    failures = [RuntimeError("the process died here")]

    async def crash_once(event: MissionAssigned, session: Any) -> None:
        if failures:
            raise failures.pop()

    bot.services.bus.subscribe_in_transaction(MissionAssigned, crash_once)
    bot.clock.set(datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
    with pytest.raises(RuntimeError):
        await bot.sweep()
    assert await bot.queued(1) == [] and await bot.queued(2) == []
    assert await bot.due(1) == datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    bot.clock.advance(60)
    assert "missions queued 2" in await bot.sweep()
    bot.clock.advance(60)
    assert "missions queued 0" in await bot.sweep()
    assert len(await bot.queued(1)) == 1 and len(await bot.queued(2)) == 1


async def test_after_downtime_a_time_of_the_same_local_day_still_goes_out(bot: Bot) -> None:
    """The catch-up rule per user, through the job runner: the Kyiv user's 08:00 fell while
    the bot was down and it is still that day there, so it is sent; the New York user's
    21:30 fell on a local day that has ended, so it only moves on to tonight."""
    bot.clock.set(datetime(2026, 11, 21, 2, 0, tzinfo=UTC))  # 21:00 on the 20th in NY
    await bot.join(1, "Europe/Kyiv", "08:00")
    await bot.join(2, "America/New_York", "21:30")  # 02:30 UTC, the day before in NY
    await bot.sweep()
    bot.clock.set(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))  # back at 14:00 Kyiv, 07:00 NY
    record = await bot.services.runner.run(
        "missions.sweep", trigger=Trigger.CATCHUP, scheduled_for=bot.clock.now()
    )
    assert record is not None and record.status == "succeeded", record
    assert "missions queued 1" in (record.summary or "")
    assert "late rows moved on 1" in (record.summary or "")
    assert len(await bot.queued(1)) == 1 and await bot.queued(2) == []
    assert await bot.due(2) == datetime(2026, 11, 22, 2, 30, tzinfo=UTC)


async def test_changing_zone_or_time_recomputes_the_next_due_at_once(bot: Bot) -> None:
    """A new zone or mission time moves the next due time in the same transaction."""
    await bot.join(1)  # the bot's zone, the default 09:00
    assert await bot.due(1) == datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    await bot.join(1, "Asia/Kathmandu")
    assert await bot.due(1) == datetime(2026, 11, 21, 3, 15, tzinfo=UTC)
    assert await bot.due(1, times.STREAK_RISK) == datetime(2026, 11, 21, 15, 15, tzinfo=UTC)
    await bot.join(1, "UTC+05:45", "06:00")
    assert await bot.due(1) == datetime(2026, 11, 22, 0, 15, tzinfo=UTC)  # 06:00 today passed


async def test_the_streak_reminder_goes_to_open_streaks_only(bot: Bot) -> None:
    """At 21:00 local: a user whose streak would end tonight is reminded; one who is done
    today, one with no streak and one who turned reminders off are not."""
    for user_id in (1, 2, 3, 4):
        await bot.join(user_id, "America/New_York")
    yesterday, today = date(2026, 11, 20), date(2026, 11, 21)
    bot.clock.set(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    for user_id in (1, 2, 4):
        await _complete(bot, user_id, yesterday)
    bot.clock.set(datetime(2026, 11, 21, 15, 0, tzinfo=UTC))  # 10:00 in New York
    await _complete(bot, 2, today)
    async with bot.services.db.session() as session:
        await notifications.toggle(session, 4, "reminders")
    for user_id in (1, 3, 4):
        await _assign(bot, user_id, today)
    await bot.sweep_until(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    (reminder,) = await bot.queued(1, "streak:")
    assert reminder.created_at == datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 21:00 NY
    assert "1-day streak" in reminder.payload["text"] and reminder.category == "reminder"
    assert [await bot.queued(u, "streak:") for u in (2, 3, 4)] == [[], [], []]


async def _assign(bot: Bot, user_id: int, day: date) -> int:
    async with bot.services.uow() as uow:
        zone = await times.user_zone(bot.services, uow.session, user_id)
        found = await missions.mission_for_today(
            uow, user_id=user_id, day=day, ends_at=times.day_end(day, zone), now=bot.clock.now()
        )
        assert found is not None
        return found[0].id


async def _complete(bot: Bot, user_id: int, day: date) -> None:
    assignment_id = await _assign(bot, user_id, day)
    async with bot.services.uow() as uow:
        outcome = await missions.complete(
            uow,
            user_id=user_id,
            assignment_id=assignment_id,
            day=day,
            now=bot.clock.now(),
        )
        assert not isinstance(outcome, missions.Refusal)


async def test_a_day_is_closed_as_missed_when_it_ends_in_the_users_zone(bot: Bot) -> None:
    """The expiry closes New York's open mission only once New York's day has ended, not at
    the bot's (Kyiv's) midnight."""
    await bot.join(1, "America/New_York")
    await bot.join(2, "Europe/Kyiv")
    day = date(2026, 11, 21)
    bot.clock.set(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    await _assign(bot, 1, day)
    await _assign(bot, 2, day)
    ctx = JobContext(bot.services, bot.app.bot, "missions.expire", "scheduled", bot.clock.now())
    bot.clock.set(datetime(2026, 11, 21, 23, 0, tzinfo=UTC))  # 01:00 Kyiv, 18:00 New York
    assert "closed 1 open mission" in await expire(ctx)
    assert await _status(bot, 1) == AssignmentStatus.OPEN
    assert await _status(bot, 2) == AssignmentStatus.MISSED
    bot.clock.set(datetime(2026, 11, 22, 5, 5, tzinfo=UTC))  # 00:05 in New York
    assert "closed 1 open mission" in await expire(ctx)
    assert await _status(bot, 1) == AssignmentStatus.MISSED


async def _status(bot: Bot, user_id: int) -> str:
    async with bot.services.db.session() as session:
        status = await session.scalar(
            select(MissionAssignment.status).where(MissionAssignment.user_id == user_id)
        )
        assert status is not None
        return status


async def test_quiet_hours_are_read_in_the_users_zone(bot: Bot) -> None:
    """Quiet hours 22-08 of a New York user hold a reminder queued at 23:00 New York time
    (06:00 in Kyiv, outside any window there) until 08:00 New York time."""
    await bot.join(1, "America/New_York")
    async with bot.services.db.session() as session:
        await notifications.set_quiet(session, 1, (22, 8))
    bot.clock.set(datetime(2026, 11, 22, 4, 0, tzinfo=UTC))
    policy = bot.services.outbox.policy
    async with bot.services.db.session() as session:
        decision = await policy.decide(session, user_id=1, category="reminder", now=bot.clock.now())
    assert decision.send and decision.not_before == datetime(2026, 11, 22, 13, 0, tzinfo=UTC)


async def test_the_sweeper_is_scheduled_and_the_manual_send_is_not(bot: Bot) -> None:
    """missions.sweep is on the JobQueue every minute; missions.send_daily, whose time is only
    the default mission time, is not (it would send everyone their mission at the bot's
    09:00)."""
    bot.services.runner.validate()
    assert bot.app.job_queue is not None
    schedule_jobs(bot.app.job_queue, bot.services.jobs, bot.services.runner)
    assert bot.app.job_queue is not None
    names = {job.name for job in bot.app.job_queue.jobs()}
    assert "missions.sweep" in names and "missions.send_daily" not in names
    assert schedules.UserSchedule.__module__ == "bot.core.people.user_times"


async def test_two_sweeps_at_once_queue_each_mission_once(bot: Bot) -> None:
    """Two sweeps at the same moment (two processes, or a slow run and the next slot) share
    the due rows: every user gets exactly one assignment and one outbox row."""
    audience = range(100, 1300)  # more than two batches
    await _due_at_eight(bot, audience)
    bot.clock.set(datetime(2026, 11, 21, 6, 0, 30, tzinfo=UTC))
    summaries = await asyncio.gather(bot.sweep(), bot.sweep())
    queued = sum(int(s.split("missions queued ")[1].split(",")[0]) for s in summaries)
    async with bot.services.db.session() as session:
        per_user = Counter(await session.scalars(select(OutboxMessage.user_id)))
        assigned = Counter(await session.scalars(select(MissionAssignment.user_id)))
    assert queued == len(audience)
    assert set(per_user) == set(audience) and set(per_user.values()) == {1}
    assert set(assigned.values()) == {1} and len(assigned) == len(audience)


def _restarted(bot: Bot, tmp_path: Path, mission_time: str) -> Bot:
    """The same database and clock, started again with the default mission time
    (``MISSION_TIME``) moved to ``mission_time``."""
    settings = make_settings(tmp_path, timezone="Europe/Kyiv", mission_time=mission_time)
    app = build_application(settings, clock=bot.clock)
    return Bot(app, own(services_of(app)), bot.clock)


async def _full_sweep(bot: Bot) -> None:
    """The sweep a start-up catch-up (or /runjob) runs: all users seeded, defaults re-timed."""
    await sweep(
        JobContext(bot.services, bot.app.bot, "missions.sweep", Trigger.CATCHUP, bot.clock.now())
    )


async def test_a_changed_default_time_holds_from_the_next_occurrence(
    bot: Bot, tmp_path: Path
) -> None:
    """The configured mission time moves from 09:00 to 08:00 (Kyiv) after today's mission
    went out: a user on the default gets tomorrow's at 08:00, not once more at 09:00."""
    await bot.join(1)  # on TIMEZONE and the default time
    await bot.sweep_until(datetime(2026, 11, 21, 8, 0, tzinfo=UTC))  # 10:00 in Kyiv
    assert [m.created_at for m in await bot.queued(1)] == [datetime(2026, 11, 21, 7, 0, tzinfo=UTC)]
    assert await bot.due(1) == datetime(2026, 11, 22, 7, 0, tzinfo=UTC)  # 09:00 tomorrow
    later = _restarted(bot, tmp_path, "08:00")
    await _full_sweep(later)
    assert await later.due(1) == datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # 08:00 tomorrow
    await later.sweep_until(datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    sent = [m.created_at for m in await later.queued(1)]
    assert sent == [
        datetime(2026, 11, 21, 7, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 6, 0, tzinfo=UTC),
    ]


async def test_a_changed_default_time_already_past_today_sends_today_once(
    bot: Bot, tmp_path: Path
) -> None:
    """Moved from 09:00 to 08:00 at 08:30 in Kyiv, before today's went out: today's mission
    goes out at once (its day is still today), once, and tomorrow's at 08:00."""
    await bot.join(1)
    await bot.sweep_until(datetime(2026, 11, 21, 6, 30, tzinfo=UTC))  # 08:30 in Kyiv
    assert await bot.queued(1) == []
    later = _restarted(bot, tmp_path, "08:00")
    await _full_sweep(later)
    assert [m.created_at for m in await later.queued(1)] == [
        datetime(2026, 11, 21, 6, 30, tzinfo=UTC)
    ]
    assert await later.due(1) == datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    await later.sweep_until(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    assert len(await later.queued(1)) == 1


async def test_a_busy_minute_is_queued_in_one_run_within_its_time(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More due rows than the run's least count of batches (here one batch of 500, set
    low for the test): the run goes on while it is inside its time budget, and queues all
    1,200 missions of the minute at once, not 500 a minute."""
    monkeypatch.setattr(sweeper, "RUN_BATCHES", 1)
    audience = range(2_000, 3_200)
    await _due_at_eight(bot, audience)
    bot.clock.set(datetime(2026, 11, 21, 6, 0, 30, tzinfo=UTC))
    summary = await bot.sweep()
    assert "missions queued 1200," in summary


async def _due_at_eight(bot: Bot, audience: range) -> None:
    """``audience``: users in Kyiv whose mission is due at 08:00 local (06:00 UTC) today."""
    async with bot.services.db.session() as session:
        await session.execute(
            insert(users.User),
            [
                {
                    "id": u,
                    "first_name": "U",
                    "reachable": True,
                    "timezone": "Europe/Kyiv",
                    "created_at": START,
                    "last_seen_at": START,
                }
                for u in audience
            ],
        )
        await session.execute(
            insert(UserSchedule),
            [
                {
                    "user_id": u,
                    "kind": times.MISSION,
                    "minute": 480,
                    "due_at": datetime(2026, 11, 21, 6, 0, tzinfo=UTC),
                }
                for u in audience
            ],
        )
