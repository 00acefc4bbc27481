"""Daily series for the console's Charts page, read from the daily snapshots.

Every figure drawn is one analytics already keeps per day (``analytics_daily``, written by
``analytics.quick_stats`` every 15 minutes for today and made final by the daily report):
users registered by the day's end, new users, missions completed and the Stars taken in
(charges granted minus the granted charges refunded that day); and the day's active users,
which the daily report copies from the engagement roll-up into the day's final snapshot
(so today's is ``None``). Reading them is one indexed
query whatever the number of users; a day with no snapshot (the bot was not running) or
one taken before a figure existed is ``None``, drawn as a gap, never as a zero.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.modules.analytics import service
from bot.modules.analytics.models import DailySnapshot

DEFAULT_DAYS, MAX_DAYS = 30, 365
FIGURES = ("users_total", "users_new", "users_active", "missions_completed", "stars_revenue")


async def snapshots(
    session: AsyncSession, first: date, last: date
) -> dict[date, tuple[dict[str, int], datetime]]:
    """The snapshots of ``first`` .. ``last`` by day, with when each was last written."""
    rows = await session.execute(
        select(DailySnapshot.day, DailySnapshot.figures, DailySnapshot.updated_at).where(
            DailySnapshot.day >= first, DailySnapshot.day <= last
        )
    )
    return {day: (dict(figures), updated) for day, figures, updated in rows.all()}


def columns(first: date, days: int, found: dict[date, dict[str, int]]) -> dict[str, list[Any]]:
    """One list per figure, a value (or None) per day from ``first``, plus the days."""
    every = [first + timedelta(days=offset) for offset in range(days)]
    series: dict[str, list[Any]] = {"day": [day.isoformat() for day in every]}
    for name in FIGURES:
        series[name] = [found.get(day, {}).get(name) for day in every]
    return series


async def daily_series(services: Services, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """The ``days`` days ending today (in ``TIMEZONE``), oldest first. Today's figures are
    those of the last refresh (at most 15 minutes old); a bot with none yet computes them
    now, as ``/stats`` would."""
    today = services.clock.today(services.settings.tz)
    first = today - timedelta(days=days - 1)
    async with services.db.session() as session:
        found = await snapshots(session, first, today)
    if today not in found:
        await service.refresh(services)
        async with services.db.session() as session:
            found.update(await snapshots(session, today, today))
    figures = {day: values for day, (values, _at) in found.items()}
    return {
        "days": days,
        "first": first.isoformat(),
        "last": today.isoformat(),
        "timezone": services.settings.tz.key,
        "updated_at": found[today][1].isoformat() if today in found else None,
        "series": columns(first, days, figures),
    }
