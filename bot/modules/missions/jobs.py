"""The missions jobs: the daily send and the nightly expiry."""

from __future__ import annotations

from collections import Counter
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.delivery import Category, Priority
from bot.core.jobs import DailyAt, JobContext, JobSpec
from bot.core.plural import plural
from bot.core.users import User
from bot.modules.missions import service
from bot.modules.missions.catalogue import active_missions
from bot.modules.missions.models import Mission, MissionAssignment
from bot.modules.missions.render import done_keyboard, mission_text

BATCH = 200
USERS_MAX = 2**52  # Telegram's bound on user ids, so more than any audience


async def send_daily(ctx: JobContext) -> str:
    """Assign every reachable user today's mission and queue its message, batch by batch;
    ``limit=N`` (a manual run) stops after the first N reachable users, e.g. to try a new
    mission on a few (a later run the same day goes on with the others).

    Each assignment and its outbox row (key ``mission:<day>:<user>``) share a
    transaction, so a second run the same day finds both and sends nothing new.
    """
    services = ctx.services
    day = services.clock.today(services.settings.tz)
    limit: int = ctx.args.get("limit", USERS_MAX)
    if limit < 1:
        return f"{day}: limit must be at least 1, got {limit}; nothing assigned"
    counts: Counter[str] = Counter()
    after = 0
    while counts["assigned"] + counts["already"] < limit:
        async with services.uow() as uow:
            catalogue = await active_missions(uow.session)
            if not catalogue:
                return f"{day}: no active missions in the catalogue; nothing assigned"
            room = limit - counts["assigned"] - counts["already"]
            user_ids = await _reachable_after(uow.session, after, min(BATCH, room))
            if user_ids:
                await _assign_batch(uow.session, services, user_ids, day, catalogue, counts)
        if not user_ids:
            break
        after = user_ids[-1]
    return (
        f"{day}: assigned {counts['assigned']}, queued {counts['queued']}, "
        f"already had one {counts['already']}"
    )


async def _reachable_after(session: AsyncSession, after: int, size: int) -> list[int]:
    rows = await session.scalars(
        select(User.id)
        .where(User.reachable.is_(True), User.id > after)
        .order_by(User.id)
        .limit(size)
    )
    return list(rows)


async def _assign_batch(
    session: AsyncSession,
    services: Services,
    user_ids: list[int],
    day: date,
    catalogue: list[Mission],
    counts: Counter[str],
) -> None:
    have = set(
        await session.scalars(
            select(MissionAssignment.user_id).where(
                MissionAssignment.day == day, MissionAssignment.user_id.in_(user_ids)
            )
        )
    )
    yesterday = await service.yesterdays_missions(session, user_ids, day)
    now = services.clock.now()
    for user_id in user_ids:
        mission = service.pick_mission(catalogue, user_id, day, yesterday.get(user_id))
        assignment = None
        if user_id not in have and mission is not None:
            assignment = await service.assign(
                session, services.bus, user_id=user_id, mission=mission, day=day, now=now
            )
        if assignment is None or mission is None:
            counts["already"] += 1
            continue
        counts["assigned"] += 1
        counts["queued"] += await services.outbox.enqueue(
            session,
            key=f"mission:{day.isoformat()}:{user_id}",
            chat_id=user_id,
            user_id=user_id,
            category=Category.MISSION,
            priority=Priority.MISSION,
            text=mission_text(mission),
            payload={"reply_markup": done_keyboard(assignment.id)},
        )


async def expire(ctx: JobContext) -> str:
    """Close the open missions of past days as missed and reset those users' streaks."""
    services = ctx.services
    today = services.clock.today(services.settings.tz)
    closed = 0
    while True:
        async with services.uow() as uow:
            batch = await service.expire_batch(uow.session, services.bus, today, BATCH)
        closed += batch
        if batch < BATCH:
            break
    return f"closed {plural(closed, 'open mission')} before {today} as missed"


JOBS = (
    JobSpec(
        "missions.send_daily",
        send_daily,
        DailyAt(time(9, 0)),
        description="assign and send each reachable user today's mission",
        catchup=6 * 3600,
        args={"limit": int},
    ),
    JobSpec(
        "missions.expire",
        expire,
        DailyAt(time(0, 5)),
        description="close yesterday's open missions as missed; reset streaks",
        catchup=20 * 3600,
    ),
)
