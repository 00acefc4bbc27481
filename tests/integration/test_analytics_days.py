"""/stats is fresh within a minute; the daily report shows the figures of its own day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.core.delivery import OutboxMessage
from bot.core.kernel.settings import Settings
from bot.modules.analytics import jobs, service
from tests.helpers.factories import grant, register_users
from tests.helpers.operations import build, job_context

DAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the day reported on; TIMEZONE=UTC


async def test_stats_are_at_most_a_minute_old(migrated: Settings) -> None:
    """A user who joined after the last quick_stats run shows in /stats a minute later."""
    services, clock, bot = build(migrated, DAY)
    await register_users(services, [10])
    await jobs.quick_stats(job_context(services, bot, "analytics.quick_stats"))
    await register_users(services, [11])
    assert (await service.cached_or_fresh(services))["figures"]["users_total"] == 1
    clock.advance(timedelta(seconds=61))
    entry = await service.cached_or_fresh(services)
    assert entry["figures"]["users_total"] == entry["figures"]["users_new"] == 2
    assert entry["at"] == clock.now().isoformat()


async def test_daily_report_counts_that_day_not_today(migrated: Settings) -> None:
    """Yesterday's report counts the users and subscriptions that existed yesterday: users
    who joined today and a subscription granted today are not in it, one that ran
    yesterday and has ended since is."""
    services, clock, bot = build(migrated, DAY)
    await register_users(services, (20, 21))
    # Runs past midnight, ends tomorrow 02:00.
    await grant(services.db, 20, timedelta(hours=14), clock.now())
    clock.advance(timedelta(hours=21))  # today, 09:00
    await register_users(services, (22, 23, 24))
    await grant(services.db, 22, timedelta(days=30), clock.now())
    summary = await jobs.daily_report(job_context(services, bot, "analytics.daily_report"))
    async with services.db.session() as session:
        [report] = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.method == "sendPhoto")
        )
    caption = report.payload["caption"].splitlines()
    assert "Users: 2" in caption and "New users: 2" in caption
    assert "Active subscriptions: 1" in caption
    assert summary.endswith("chart of 1 day, queued to 1 admin")
