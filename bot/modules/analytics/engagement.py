"""The daily engagement roll-up: one ``analytics_engagement`` row per local day.

A day's row holds what only that day's end can tell, each counted once, after the day:

- ``dau``, ``wau``, ``mau``: users active that day, in the 7 and the 30 days ending with it
  (``user_days``, see ``activity.py``);
- ``joined``: users who registered that day; ``returned``: for N in 1, 7 and 30, how many
  of those who registered N days before were active that day (a cohort's day-N retention
  is its ``returned`` on day J+N over its ``joined`` on day J: ``retention.py``);
- ``funnel``: users registered by the day's end, then how many of them had reached each
  declared step (``FunnelStep``, from the modules that own the data) and every step before;
- ``sources``: per start-link source (``users.source``; ``""`` for none) the users and how
  many of them reached the funnel's last step (VIP), the most common
  :data:`MAX_SOURCES` only, the rest summed under ``*``.

Reading analytics is then a read of these rows only, whatever the number of users.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import dialect_insert
from bot.core.people import User
from bot.core.stats import FunnelStep
from bot.modules.analytics.models import EngagementDay, UserDay
from bot.modules.analytics.service import day_bounds

RETURN_DAYS = (1, 7, 30)
WEEK, MONTH = 7, 30
MAX_SOURCES = 50
OTHER_SOURCES = "*"  # the sources beyond the most common MAX_SOURCES, summed


async def active(session: AsyncSession, last: date, days: int) -> int:
    """Users active on at least one of the ``days`` days ending with ``last``."""
    first = last - timedelta(days=days - 1)
    query = select(func.count(distinct(UserDay.user_id))).where(
        UserDay.day >= first, UserDay.day <= last
    )
    return await _scalar(session, query)


async def returned(session: AsyncSession, joined: date, day: date, tz: ZoneInfo) -> int:
    """Users who registered on ``joined`` and were active on ``day``."""
    start, end = day_bounds(joined, tz)
    query = (
        select(func.count())
        .select_from(User)
        .join(UserDay, and_(UserDay.user_id == User.id, UserDay.day == day))
        .where(User.created_at >= start, User.created_at < end)
    )
    return await _scalar(session, query)


async def funnel(session: AsyncSession, steps: list[FunnelStep], at: datetime) -> dict[str, int]:
    """Users registered by ``at`` (``start``), then those who had also reached each step
    and every step before it by then. The latest step's condition comes first: its users
    are the fewest, so the database looks them up rather than reading every user."""
    registered = User.created_at < at
    counts = {"start": await _scalar(session, select(func.count()).where(registered))}
    for last in range(len(steps)):
        reached = [User.id.in_(step.users(at)) for step in reversed(steps[: last + 1])]
        query = select(func.count()).select_from(User).where(*reached, registered)
        counts[steps[last].name] = await _scalar(session, query)
    return counts


async def _scalar(session: AsyncSession, query: Select[int]) -> int:
    """A COUNT(*) (or a SUM(), None over no row: 0)."""
    found: int | None = await session.scalar(query)
    return found or 0


async def sources(
    session: AsyncSession, converted: FunnelStep | None, at: datetime
) -> dict[str, list[int]]:
    """Per source: ``[users, converted]`` of the users registered by ``at``; ``converted``
    counts those who had reached that step (whatever the steps before). Two grouped counts:
    the users read from the index on (source, created_at), the converted ones from the
    step's few users."""
    registered = User.created_at < at
    users = await session.execute(
        select(User.source, func.count()).where(registered).group_by(User.source)
    )
    found = {source or "": [count, 0] for source, count in users}
    if converted is not None:
        won = await session.execute(
            select(User.source, func.count())
            .where(registered, User.id.in_(converted.users(at)))
            .group_by(User.source)
        )
        for source, count in won:
            found[source or ""][1] = count
    return top_sources([(source, users, won) for source, (users, won) in found.items()])


def top_sources(found: list[tuple[str, int, int]]) -> dict[str, list[int]]:
    """The :data:`MAX_SOURCES` sources with the most users (ties by name), the rest summed
    under :data:`OTHER_SOURCES`."""
    ranked = sorted(found, key=lambda row: (-row[1], row[0]))
    kept = {source: [users, won] for source, users, won in ranked[:MAX_SOURCES]}
    rest = ranked[MAX_SOURCES:]
    if rest:
        kept[OTHER_SOURCES] = [sum(row[1] for row in rest), sum(row[2] for row in rest)]
    return kept


async def roll_up(
    session: AsyncSession, steps: list[FunnelStep], day: date, tz: ZoneInfo
) -> dict[str, Any]:
    """The figures of ``day`` (see the module docstring), as they stood at its end."""
    start, end = day_bounds(day, tz)
    back = {str(n): await returned(session, day - timedelta(days=n), day, tz) for n in RETURN_DAYS}
    joined = await _scalar(
        session, select(func.count()).where(User.created_at >= start, User.created_at < end)
    )
    return {
        "dau": await active(session, day, 1),
        "wau": await active(session, day, WEEK),
        "mau": await active(session, day, MONTH),
        "joined": joined,
        "returned": back,
        "funnel": await funnel(session, steps, end),
        "sources": await sources(session, steps[-1] if steps else None, end),
    }


async def save(session: AsyncSession, day: date, figures: dict[str, Any], now: datetime) -> None:
    """Insert or replace the roll-up of ``day``."""
    stmt = dialect_insert(session, EngagementDay).values(day=day, figures=figures, updated_at=now)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["day"], set_={"figures": figures, "updated_at": now}
        )
    )


async def last_rolled_up(session: AsyncSession) -> date | None:
    """The latest day with a roll-up."""
    last: date | None = await session.scalar(select(func.max(EngagementDay.day)))
    return last


async def rows(session: AsyncSession, first: date, last: date) -> dict[date, dict[str, Any]]:
    """The roll-ups of ``first`` .. ``last`` by day (a day without one is absent)."""
    found = await session.execute(
        select(EngagementDay.day, EngagementDay.figures).where(
            EngagementDay.day >= first, EngagementDay.day <= last
        )
    )
    return {day: dict(figures) for day, figures in found.all()}
