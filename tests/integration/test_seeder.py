"""The seeder (``python -m benchmarks.seed``): 2,000 users and ten days of their history on the
test database, then the bot's own queries on the result agree with what was written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from benchmarks.seed import seed
from bot.core.jobs import JobContext, Trigger
from bot.core.kernel.settings import Settings
from bot.core.people import User, UserSchedule, count_invited
from bot.modules.analytics import engagement, service
from bot.modules.analytics.models import UserDay
from bot.modules.economy.service import ledger_sum, mismatches_after, statement
from bot.modules.missions.sweeper import sweep
from tests.helpers.operations import build

NOW = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
USERS = 2_000
DAYS = 10


async def test_the_seeded_database_answers_the_bots_queries(migrated: Settings) -> None:
    services, clock, bot = build(migrated, NOW)
    await seed(migrated.database_url, USERS, DAYS, now=NOW, old_outbox=100)

    # /stats: every user, the 2% who blocked the bot left out of the reachable.
    entry = await service.refresh(services)
    async with services.db.session() as session:
        joined_today = await session.scalar(
            select(func.count()).where(User.created_at >= NOW.replace(hour=0, minute=0))
        )
    figures = entry["figures"]
    assert figures["users_total"] == USERS
    assert figures["users_reachable"] == USERS - USERS // 50
    assert figures["users_new"] == joined_today
    assert figures["outbox_backlog"] == 0  # everything seeded was sent

    async with services.db.session() as session:
        # Every balance is its ledger's sum; /balance shows it.
        mismatches, checked, _last = await mismatches_after(session, 0, USERS)
        assert mismatches == []
        assert checked > USERS // 10
        for user_id in (7, 40, 1000):
            shown = await statement(session, user_id, NOW.date())
            assert shown.points == await ledger_sum(session, user_id)
        # Referrals point at users who exist; user 1 invited user 7 alone.
        orphans = await session.scalar(
            text(
                "SELECT count(*) FROM users AS u WHERE u.referrer_id IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM users AS r WHERE r.id = u.referrer_id)"
            )
        )
        assert orphans == 0
        assert await count_invited(session, 1) == 1
        invited = await session.scalar(text("SELECT count(*) FROM referral_rewards"))
        assert invited == USERS // 7
        # Zones and languages as documented: a 31st of the users keep the bot's zone.
        no_zone = await session.scalar(select(func.count()).where(User.timezone.is_(None)))
        assert no_zone == len([i for i in range(1, USERS + 1) if i % 31 == 30])
        counted = await session.execute(select(User.language, func.count()).group_by(User.language))
        languages = {language: count for language, count in counted.all()}
        assert languages == {"en": USERS // 2, "uk": USERS * 3 // 10, None: USERS // 5}
        vip = await session.scalar(
            text("SELECT count(*) FROM subscriptions WHERE status = 'active'")
        )
        assert vip == USERS // 100

    # The engagement roll-up of yesterday counts the active days written.
    yesterday = NOW.date() - timedelta(days=1)
    async with services.db.session() as session:
        rolled = await engagement.roll_up(session, services.stats.funnel(), yesterday, migrated.tz)
        active = await session.scalar(
            select(func.count()).select_from(UserDay).where(UserDay.day == yesterday)
        )
    assert rolled["dau"] == active
    assert active and USERS // 20 < active < USERS // 5

    # The sweeper queues the messages due in the next hour, from the rows the seeder timed.
    clock.set(NOW + timedelta(hours=1))
    async with services.db.session() as session:
        due = await session.scalar(
            select(func.count())
            .select_from(UserSchedule)
            .where(UserSchedule.kind == "mission", UserSchedule.due_at <= clock.now())
        )
    assert due
    await sweep(JobContext(services, bot, "missions.sweep", Trigger.SCHEDULED, clock.now()))
    async with services.db.session() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(UserSchedule)
            .where(UserSchedule.kind == "mission", UserSchedule.due_at <= clock.now())
        )
        queued = await session.scalar(text("SELECT count(*) FROM outbox WHERE status = 'pending'"))
    assert left == 0
    assert queued
