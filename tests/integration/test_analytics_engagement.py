"""The engagement roll-up on a real database: users who joined on a Monday and came back on
days 1, 7 and 30, missions, a streak and VIP, and the start links they came through."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bot.app import build_application
from bot.core.context import Services
from bot.core.delivery import OutboxMessage
from bot.core.kernel import PurgeRequest
from bot.core.kernel.settings import Settings
from bot.modules.analytics import activity, jobs, view
from bot.modules.analytics.models import DailySnapshot, EngagementDay, UserDay
from bot.modules.missions.models import AssignmentStatus, Mission, MissionAssignment, Streak
from tests.conftest import make_settings
from tests.helpers.factories import grant, register_user
from tests.helpers.operations import build, job_context

JOINED = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)  # a Monday, noon
MONDAY = JOINED.date()
SOURCES = {1: "src_x", 2: "src_x", 3: "ref_1", 4: None}
ACTIVE = {0: (1, 2, 3, 4), 1: (1, 2), 7: (1,), 30: (2,)}  # days after joining -> users


async def _join_and_act(services: Services) -> activity.Activity:
    """Users 1-4 join on MONDAY through SOURCES (3 invited by 1) and are active on the days
    of ACTIVE; 1 and 2 complete a mission, 1 holds a 7-day streak, 1 and 3 get VIP."""
    async with services.db.session() as session:
        for user_id, payload in SOURCES.items():
            await register_user(session, user_id, now=JOINED, payload=payload)
        mission = Mission(title="Walk", description="", points=1, kind="custom", created_at=JOINED)
        session.add(mission)
        await session.flush()
        for user_id in (1, 2):
            session.add(
                MissionAssignment(
                    user_id=user_id,
                    mission_id=mission.id,
                    day=MONDAY,
                    status=AssignmentStatus.DONE,
                    assigned_at=JOINED,
                    completed_at=JOINED + timedelta(hours=1),
                )
            )
        session.add(Streak(user_id=1, current=7, best=7, last_completed_day=MONDAY))
    for user_id in (1, 3):
        await grant(services.db, user_id, timedelta(days=90), JOINED)
    recorder = activity.Activity(services)
    for offset, user_ids in ACTIVE.items():
        for user_id in user_ids:
            await recorder.record_day(user_id, MONDAY + timedelta(days=offset))
    return recorder


async def _rolled_up(services: Services) -> dict[date, dict[str, object]]:
    async with services.db.session() as session:
        found = await session.execute(select(EngagementDay.day, EngagementDay.figures))
        return {day: dict(figures) for day, figures in found.all()}


async def test_roll_up_counts_active_users_retention_funnel_and_sources(
    migrated: Settings,
) -> None:
    """Rolled up the next day and then, 30 days later, caught up day by day: each day's
    active users over 1, 7 and 30 days, the joiners' returns on days 1, 7 and 30, the strict
    funnel (user 3 has VIP without a mission: not in the funnel's VIP, but a conversion of
    its source) and the users and VIP conversions of each source."""
    services, clock, bot = build(migrated, JOINED)
    await _join_and_act(services)
    clock.advance(timedelta(days=1))
    assert "1 day" in await jobs.roll_up(job_context(services, bot, "analytics.engagement"))
    clock.advance(timedelta(days=30))
    summary = await jobs.roll_up(job_context(services, bot, "analytics.engagement"))
    assert summary.startswith("rolled up 30 days up to 2026-12-16")

    rows = await _rolled_up(services)
    assert sorted(rows) == [MONDAY + timedelta(days=n) for n in range(31)]
    first, day1, day7, day30 = (rows[MONDAY + timedelta(days=n)] for n in (0, 1, 7, 30))
    assert (first["dau"], first["wau"], first["mau"], first["joined"]) == (4, 4, 4, 4)
    assert (day1["dau"], day1["wau"], day1["mau"], day1["joined"]) == (2, 4, 4, 0)
    assert (day7["dau"], day7["wau"], day7["mau"]) == (1, 2, 4)
    assert (day30["dau"], day30["wau"], day30["mau"]) == (1, 1, 2)
    assert day1["returned"] == {"1": 2, "7": 0, "30": 0}
    assert day7["returned"] == {"1": 0, "7": 1, "30": 0}
    assert day30["returned"] == {"1": 0, "7": 0, "30": 1}
    assert day30["funnel"] == {"start": 4, "mission": 2, "streak": 1, "vip": 1}
    assert day30["sources"] == {"src_x": [2, 1], "": [1, 0], "ref": [1, 1]}

    async with services.db.session() as session:
        shown = await view.latest(session, weeks=6)
    assert shown is not None and shown.day == MONDAY + timedelta(days=30)
    [cohort] = [c for c in shown.cohorts if c.week == MONDAY]
    assert cohort.joined == 4 and cohort.rates == {1: 0.5, 7: 0.25, 30: 0.25}
    text = "\n".join(view.describe(shown, services.stats))
    assert "Active users: 1 that day, 1 in 7 days, 2 in 30 days" in text
    assert "started 4 → first mission 2 (50%) → 7-day streak 1 (25%) → VIP 1 (25%)" in text
    assert "Sources (users → VIP): src_x 2 → 1; no link 1 → 0; ref 1 → 1" in text


async def test_a_manual_run_recomputes_yesterday_and_activity_is_written_once_a_day(
    migrated: Settings,
) -> None:
    """A second run the same day rolls up yesterday again (with what changed since); a
    user's second update of the day writes nothing."""
    services, clock, bot = build(migrated, JOINED)
    context = job_context(services, bot, "analytics.engagement")
    recorder = await _join_and_act(services)
    later = MONDAY + timedelta(days=60)  # after every day of ACTIVE, outside the roll-up
    assert await recorder.record_day(1, later) is True
    assert await recorder.record_day(1, later) is False  # the same day again: nothing written
    clock.advance(timedelta(days=1))
    await jobs.roll_up(context)
    async with services.db.session() as session:
        await register_user(session, 9, now=JOINED + timedelta(hours=2), payload="late")
    assert "1 day" in await jobs.roll_up(context)
    rows = await _rolled_up(services)
    assert list(rows) == [MONDAY] and rows[MONDAY]["joined"] == 5


async def test_activity_older_than_kept_is_purged_in_batches(migrated: Settings) -> None:
    """``cleanup.daily``'s purger deletes the days before KEPT, in batches, and keeps the
    rest (the 30 days a roll-up reads, after a catch-up)."""
    services, _clock, _bot = build(migrated, JOINED)
    kept_from = JOINED.date() - activity.KEPT
    for user_id in range(1, 6):
        for day in (kept_from - timedelta(days=1), kept_from - timedelta(days=40), kept_from):
            await activity.Activity(services).record_day(user_id, day)
    request = PurgeRequest(db=services.db, now=JOINED, batch_size=3)
    assert await activity.purge_old_days(request) == 10
    async with services.db.session() as session:
        left = set((await session.scalars(select(UserDay.day))).all())
    assert left == {kept_from}


async def test_activity_is_kept_as_long_as_retention_activity_days_says(
    migrated: Settings, tmp_path: Path
) -> None:
    """``RETENTION__ACTIVITY_DAYS=40``: the purger the module registers keeps 40 days; a
    period below the engagement figures' 30-day window is refused."""
    services, _clock, _bot = build(migrated, JOINED)
    for day in (JOINED.date() - timedelta(days=41), JOINED.date() - timedelta(days=39)):
        await activity.Activity(services).record_day(1, day)
    settings = make_settings(
        tmp_path, database_url=migrated.database_url, retention={"activity_days": 40}
    )
    purgers = dict(build_application(settings).bot_data["services"].purgers)
    request = PurgeRequest(db=services.db, now=JOINED, batch_size=10)
    assert await purgers["analytics.user_days"](request) == 1
    async with services.db.session() as session:
        left = set((await session.scalars(select(UserDay.day))).all())
    assert left == {JOINED.date() - timedelta(days=39)}
    with pytest.raises(ValidationError):
        make_settings(tmp_path, retention={"activity_days": 20})


async def test_the_daily_report_shows_the_days_active_users(migrated: Settings) -> None:
    """The morning's daily report, after midnight's roll-up, shows the day's active users
    under their label and keeps them in the day's snapshot, which the chart draws."""
    services, clock, bot = build(migrated, JOINED)
    await _join_and_act(services)
    clock.advance(timedelta(hours=21))  # 09:00 the next day
    await jobs.roll_up(job_context(services, bot, "analytics.engagement"))
    await jobs.daily_report(job_context(services, bot, "analytics.daily_report"))
    async with services.db.session() as session:
        [report] = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.method == "sendPhoto")
        )
        snapshot = await session.scalar(
            select(DailySnapshot.figures).where(DailySnapshot.day == MONDAY)
        )
    assert "Active users: 4" in report.payload["caption"].splitlines()
    assert snapshot is not None and snapshot["users_active"] == 4
