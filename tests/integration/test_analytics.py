"""Quick stats (cached, with the modules' providers) and the daily report with its PNG chart."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path

from matplotlib.image import imread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import OutboxMessage
from bot.core.kernel.settings import Settings
from bot.modules.analytics import jobs, service
from bot.modules.analytics.chart import render_trend
from bot.modules.analytics.models import DailySnapshot
from tests.helpers.factories import register_users
from tests.helpers.operations import build, job_context, queue

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def _missions(_session: AsyncSession, day: date) -> dict[str, int]:
    return {"missions_assigned": day.day, "missions_completed": 3}


async def test_quick_stats_are_cached_and_snapshotted(migrated: Settings) -> None:
    """The job caches users, providers' figures and backlog; /stats reads that cache."""
    services, clock, bot = build(migrated)
    services.stats.add("missions", _missions)
    await register_users(services, (10, 11))
    await queue(services, "pending:1")

    summary = await jobs.quick_stats(job_context(services, bot, "analytics.quick_stats"))
    await register_users(services, [12])  # not yet in the cache
    entry = await service.cached_or_fresh(services)

    assert summary == "2 users, backlog 1"
    expected = {
        "users_total": 2,
        "users_reachable": 2,
        "users_new": 2,
        "outbox_backlog": 1,
        "missions_assigned": 21,
        "missions_completed": 3,
    }
    # Registered modules add their own providers (e.g. active_subscriptions) beside these.
    assert entry["figures"].items() >= expected.items()
    assert json.loads(await services.cache.get(service.CACHE_KEY) or "{}") == entry
    async with services.db.session() as session:
        days = list(await session.scalars(select(DailySnapshot.day)))
    assert days == [clock.now().date()]


async def test_stats_compute_once_when_the_cache_is_empty(migrated: Settings) -> None:
    """With nothing cached, /stats computes the figures once and caches them."""
    services, _clock, _bot = build(migrated)
    await register_users(services, [10])
    entry = await service.cached_or_fresh(services)
    assert entry["figures"]["users_total"] == 1
    assert await services.cache.get(service.CACHE_KEY) is not None


async def test_daily_report_sends_a_real_png_to_admins(migrated: Settings) -> None:
    """Yesterday's report: a decodable PNG under MEDIA_DIR, one sendPhoto per admin, once."""
    services, clock, bot = build(migrated)
    services.stats.add("missions", _missions)
    for day in range(5):
        await register_users(services, [100 + day])
        await jobs.quick_stats(job_context(services, bot, "analytics.quick_stats"))
        clock.advance(timedelta(days=1))

    summary = await jobs.daily_report(job_context(services, bot, "analytics.daily_report"))
    await jobs.daily_report(job_context(services, bot, "analytics.daily_report"))

    yesterday = (clock.now() - timedelta(days=1)).date()
    async with services.db.session() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.method == "sendPhoto"))
        )
    assert [(r.key, r.chat_id, r.category) for r in rows] == [(f"report:{yesterday}:1", 1, "alert")]
    photo = Path(rows[0].payload["photo"])
    assert photo.is_absolute() and photo.is_relative_to(migrated.media_dir.resolve())
    assert (await asyncio.to_thread(photo.read_bytes)).startswith(PNG_SIGNATURE)
    assert (await asyncio.to_thread(imread, photo)).shape[2] in (3, 4)
    assert "Users: 5" in rows[0].payload["caption"]
    assert "chart of 5 days" in summary


async def test_chart_of_an_empty_trend_is_still_a_png(tmp_path: Path) -> None:
    """A fresh install (no snapshots yet) still gets a valid, empty chart."""
    path = await asyncio.to_thread(render_trend, [], tmp_path / "empty.png")
    assert (await asyncio.to_thread(path.read_bytes)).startswith(PNG_SIGNATURE)
