"""The figures of a day, their daily snapshot, and the cached copy /stats answers from."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.delivery import pending_count
from bot.core.kernel import dialect_insert
from bot.core.people import N_, _, clock, count_new_users, count_users
from bot.core.people import day as format_day
from bot.core.stats import StatsRegistry, as_of
from bot.modules.analytics.models import DailySnapshot
from bot.modules.analytics.reachability import reachable_at, registered_before

CACHE_KEY = "analytics:quick_stats"
CACHE_TTL = 3 * 3600.0  # several missed refreshes later, /stats recomputes instead
TREND_DAYS = 14
FRESH = timedelta(seconds=60)  # /stats answers from the cache up to this old

# The labels of the figures analytics counts itself (other modules label theirs).
FIGURES = {
    "users_total": N_("Users"),
    "users_reachable": N_("Reachable"),
    "users_new": N_("New users"),
    "users_active": N_("Active users"),  # in the daily report, from the engagement roll-up
    "outbox_backlog": N_("Outbox backlog"),
}


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local day starts and ends at (DST days are 23 or 25 hours)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


async def compute(
    session: AsyncSession, stats: StatsRegistry, day: date, tz: ZoneInfo, now: datetime
) -> dict[str, int]:
    """Core figures plus whatever the modules' stats providers report for ``day``, as
    they stood at its end (or now, for today): users who had registered by then, not
    today's total, and of them those reachable then (``reachability.py``); the outbox
    backlog is only known now (today's figures)."""
    start, end = day_bounds(day, tz)
    at = as_of(day, tz, now)
    before = None if at == now else at  # today: everyone registered so far
    if before is None:
        reachable = await count_users(session, reachable_only=True)
    else:
        reachable = await reachable_at(session, before)
    if before is None:
        total = await count_users(session)
    else:
        total = await registered_before(session, before)
    figures = {
        "users_total": total,
        "users_reachable": reachable,
        "users_new": await count_new_users(session, start, end),
    }
    if at == now:
        figures["outbox_backlog"] = await pending_count(session)
    figures.update(await stats.collect(session, day))
    return figures


async def snapshot(session: AsyncSession, day: date) -> dict[str, int]:
    """The stored figures of ``day`` (the last refresh of that day), or none."""
    query = select(DailySnapshot.figures).where(DailySnapshot.day == day)
    return dict(await session.scalar(query) or {})


async def save_snapshot(
    session: AsyncSession, day: date, figures: dict[str, int], now: datetime
) -> None:
    """Insert or replace the snapshot of ``day`` (UNIQUE(day) makes it one row)."""
    stmt = dialect_insert(session, DailySnapshot).values(day=day, figures=figures, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day"], set_={"figures": figures, "updated_at": now}
    )
    await session.execute(stmt)


async def trend(
    session: AsyncSession, last_day: date, days: int = TREND_DAYS
) -> list[tuple[date, dict[str, int]]]:
    """Snapshots of the ``days`` days ending with ``last_day``, oldest first (gaps skipped)."""
    first = last_day - timedelta(days=days - 1)
    rows = await session.execute(
        select(DailySnapshot.day, DailySnapshot.figures)
        .where(DailySnapshot.day >= first, DailySnapshot.day <= last_day)
        .order_by(DailySnapshot.day)
    )
    return [(day, dict(figures)) for day, figures in rows.all()]


async def refresh(services: Services) -> dict[str, Any]:
    """Compute today's figures, store today's snapshot, and cache them for /stats."""
    now, tz = services.clock.now(), services.settings.tz
    today = services.clock.today(tz)
    async with services.db.session() as session:
        figures = await compute(session, services.stats, today, tz, now)
        await save_snapshot(session, today, figures, now)
    entry = {"day": today.isoformat(), "at": now.isoformat(), "figures": figures}
    await services.cache.set(CACHE_KEY, json.dumps(entry), ttl=CACHE_TTL)
    return entry


async def cached_or_fresh(services: Services) -> dict[str, Any]:
    """The cached figures if at most :data:`FRESH` old, else computed now (so /stats never
    misses the users who joined since the last quick_stats run)."""
    raw = await services.cache.get(CACHE_KEY)
    if raw is not None:
        try:
            entry: dict[str, Any] = json.loads(raw)
            if services.clock.now() - datetime.fromisoformat(entry["at"]) <= FRESH:
                return entry
        except (ValueError, KeyError, TypeError):
            pass  # a damaged entry is simply recomputed
    return await refresh(services)


def format_stats(entry: dict[str, Any], tz: ZoneInfo, stats: StatsRegistry) -> str:
    at = datetime.fromisoformat(entry["at"])
    head = _("Stats for {day} (as of {time} {zone}; days in the bot's zone)").format(
        day=format_day(date.fromisoformat(entry["day"])),
        time=clock(at, tz),
        zone=tz.key,
    )
    return "\n".join([head, *stats.describe(entry["figures"])])
