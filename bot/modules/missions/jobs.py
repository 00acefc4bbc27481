"""The missions jobs: the per-user sweep, the manual send to everyone, and the expiry."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.delivery import Category, Priority
from bot.core.jobs import Cron, DailyAt, Every, JobContext, JobSpec
from bot.core.kernel import UnitOfWork
from bot.core.people import User, _, language_column, ngettext, speaking, translatable
from bot.modules.missions import service, times
from bot.modules.missions.catalogue import active_missions
from bot.modules.missions.models import Mission, MissionAssignment
from bot.modules.missions.render import done_keyboard, mission_text
from bot.modules.missions.sweeper import sweep

BATCH = 200
USERS_MAX = 2**52  # Telegram's bound on user ids, so more than any audience


async def send_daily(ctx: JobContext[Services]) -> str:
    """Assign every reachable user their today's mission (their own local day) and queue
    its message now, batch by batch; ``limit=N`` stops after the first N reachable users,
    e.g. to try a new mission on a few (a later run the same day goes on with the others).
    Only ``/runjob`` runs it: each user's own time is ``missions.sweep``'s work (the
    default time is ``MISSION_TIME``).

    Each assignment and its outbox row (key ``mission:<day>:<user>``) share a
    transaction, so a second run the same day finds both and sends nothing new.
    """
    services = ctx.services
    day = services.clock.today(services.settings.tz)
    limit: int = ctx.args.get("limit", USERS_MAX)
    if limit < 1:
        return translatable(
            lambda: _("{day}: limit must be at least 1, got {limit}; nothing assigned").format(
                day=day, limit=limit
            )
        )
    counts: Counter[str] = Counter()
    after = 0
    while counts["assigned"] + counts["already"] < limit:
        async with services.uow() as uow:
            catalogue = await active_missions(uow.session)
            if not catalogue:
                return translatable(
                    lambda: _(
                        "{day}: no active missions in the catalogue; nothing assigned"
                    ).format(day=day)
                )
            room = limit - counts["assigned"] - counts["already"]
            found = await _reachable_after(uow.session, after, min(BATCH, room))
            readers = {user_id: (zone, language) for user_id, zone, language in found}
            for user_day, user_ids in _by_day(services, found).items():
                await _assign_batch(uow, services, user_ids, user_day, catalogue, counts, readers)
        if not found:
            break
        after = found[-1][0]
    assigned, queued, already = counts["assigned"], counts["queued"], counts["already"]
    return translatable(
        lambda: _("{day}: assigned {assigned}, queued {queued}, already had one {already}").format(
            day=day, assigned=assigned, queued=queued, already=already
        )
    )


async def _reachable_after(
    session: AsyncSession, after: int, size: int
) -> list[tuple[int, str | None, str]]:
    """The next ``size`` reachable users after ``after``: id, time zone, language read."""
    rows = await session.execute(
        select(User.id, User.timezone, language_column())
        .where(User.reachable.is_(True), User.id > after)
        .order_by(User.id)
        .limit(size)
    )
    return [(user_id, zone, language) for user_id, zone, language in rows.all()]


def _by_day(services: Services, found: list[tuple[int, str | None, str]]) -> dict[date, list[int]]:
    """Users by their own today (two or three days at most, across the zones)."""
    days: dict[date, list[int]] = defaultdict(list)
    for user_id, zone, _language in found:
        days[services.clock.today(times.zone(services, zone))].append(user_id)
    return days


async def _assign_batch(
    uow: UnitOfWork,
    services: Services,
    user_ids: list[int],
    day: date,
    catalogue: list[Mission],
    counts: Counter[str],
    readers: dict[int, tuple[str | None, str]],
) -> None:
    """Assign ``day``'s mission to those of ``user_ids`` who have none (``readers``: each
    one's zone, which fixes the mission's deadline, and language) and queue its message."""
    session = uow.session
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
        zone, language = readers[user_id]
        if user_id not in have and mission is not None:
            ends_at = times.day_end(day, times.zone(services, zone))
            assignment = await service.assign(
                uow, user_id=user_id, mission=mission, day=day, ends_at=ends_at, now=now
            )
        if assignment is None or mission is None:
            counts["already"] += 1
            continue
        counts["assigned"] += 1
        with speaking(language):  # the recipient's language, not the job's
            text, keyboard = mission_text(mission), done_keyboard(assignment.id)
        counts["queued"] += await services.outbox.enqueue(
            session,
            key=f"mission:{day.isoformat()}:{user_id}",
            chat_id=user_id,
            user_id=user_id,
            category=Category.MISSION,
            priority=Priority.MISSION,
            text=text,
            payload={"reply_markup": keyboard},
        )


async def expire(ctx: JobContext[Services]) -> str:
    """Close the open missions of days that have ended for their users (each in their own
    zone) as missed and reset those users' streaks."""
    services = ctx.services
    closed, after = 0, 0
    while True:
        async with services.uow() as uow:
            batch, resume = await service.expire_batch(
                uow,
                lambda zone: services.clock.today(times.zone(services, zone)),
                after,
                BATCH,
                services.clock.now(),
            )
        closed += batch
        if resume is None:
            break
        after = resume
    return translatable(
        lambda: ngettext(
            "closed {count} open mission of days that have ended as missed",
            "closed {count} open missions of days that have ended as missed",
            closed,
        ).format(count=closed)
    )


JOBS = (
    JobSpec(
        "missions.send_daily",
        send_daily,
        DailyAt(time(9, 0)),
        description="assign and send each reachable user today's mission",
        catchup=6 * 3600,
        args={"limit": int},
        manual=True,
    ),
    JobSpec(
        "missions.sweep",
        sweep,
        Every.minutes(1),
        description="send each user's mission and streak reminder at their own local time",
        timeout=120,
        catchup=timedelta(days=1).total_seconds(),
    ),
    JobSpec(
        "missions.expire",
        expire,
        Cron("5 * * * *"),
        description="close the open missions of days that have ended; reset streaks",
        catchup=20 * 3600,
    ),
)
