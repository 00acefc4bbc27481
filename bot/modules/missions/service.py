"""Assigning, completing and expiring daily missions; the streak rules.

A day is the local date in ``TIMEZONE``. Every state change is an atomic
``UPDATE ... WHERE`` or an ``INSERT ... ON CONFLICT DO NOTHING`` guarded by the
UNIQUE(user_id, day) constraint, so a double press, a second job run or two
replicas never assign twice or complete twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import UnitOfWork, dialect_insert, get_or_insert, rowcount
from bot.core.people import User
from bot.modules.missions.catalogue import active_missions
from bot.modules.missions.events import MissionAssigned, MissionCompleted, MissionMissed
from bot.modules.missions.models import AssignmentStatus, Mission, MissionAssignment, Streak


def pick_mission(
    catalogue: Sequence[Mission], user_id: int, day: date, yesterday: int | None
) -> Mission | None:
    """A mission for (user, day): spread over the catalogue, never yesterday's if avoidable."""
    pool = [m for m in catalogue if m.id != yesterday] or list(catalogue)
    if not pool:
        return None
    return pool[(user_id * 2_654_435_761 + day.toordinal()) % len(pool)]


def next_streak(current: int, last_completed: date | None, day: date) -> int:
    """The streak after completing on ``day``: +1 after yesterday, else a fresh 1."""
    if last_completed == day:
        return current
    if last_completed == day - timedelta(days=1):
        return current + 1
    return 1


async def yesterdays_missions(
    session: AsyncSession, user_ids: Sequence[int], day: date
) -> dict[int, int]:
    rows = await session.execute(
        select(MissionAssignment.user_id, MissionAssignment.mission_id).where(
            MissionAssignment.day == day - timedelta(days=1),
            MissionAssignment.user_id.in_(user_ids),
        )
    )
    return {user_id: mission_id for user_id, mission_id in rows.all()}


async def assign(
    uow: UnitOfWork,
    *,
    user_id: int,
    mission: Mission,
    day: date,
    ends_at: datetime,
    now: datetime,
) -> MissionAssignment | None:
    """Give ``user_id`` ``mission`` for ``day``, to be done before ``ends_at`` (the end of
    the day in their zone now); None if they already have one that day."""
    session = uow.session
    values = {"user_id": user_id, "mission_id": mission.id, "day": day, "ends_at": ends_at}
    insert = dialect_insert(session, MissionAssignment).values(
        **values, status=AssignmentStatus.OPEN, assigned_at=now
    )
    result = await session.execute(insert.on_conflict_do_nothing())
    if not rowcount(result):
        return None
    assignment = await todays_assignment(session, user_id, day)
    assert assignment is not None
    await uow.publish(MissionAssigned(user_id, assignment.id, mission.id, day))
    return assignment


async def todays_assignment(
    session: AsyncSession, user_id: int, day: date
) -> MissionAssignment | None:
    return await session.scalar(
        select(MissionAssignment).where(
            MissionAssignment.user_id == user_id, MissionAssignment.day == day
        )
    )


async def mission_for_today(
    uow: UnitOfWork, *, user_id: int, day: date, ends_at: datetime, now: datetime
) -> tuple[MissionAssignment, Mission] | None:
    """The user's assignment for ``day``, assigning one (due by ``ends_at``) first if
    needed; None if no missions."""
    session = uow.session
    assignment = await todays_assignment(session, user_id, day)
    if assignment is None:
        yesterday = (await yesterdays_missions(session, [user_id], day)).get(user_id)
        mission = pick_mission(await active_missions(session), user_id, day, yesterday)
        if mission is None:
            return None
        await assign(uow, user_id=user_id, mission=mission, day=day, ends_at=ends_at, now=now)
        assignment = await todays_assignment(session, user_id, day)
        assert assignment is not None
    chosen = await session.get(Mission, assignment.mission_id)
    assert chosen is not None
    return assignment, chosen


class Refusal(StrEnum):
    """Why a Done press changed nothing."""

    UNKNOWN = "unknown"  # no such assignment, or someone else's
    ALREADY_DONE = "already_done"
    EXPIRED = "expired"  # another day's mission, or closed as missed


@dataclass(frozen=True, slots=True)
class Completion:
    mission: Mission
    assignment_id: int
    streak: int


async def complete(
    uow: UnitOfWork,
    *,
    user_id: int,
    assignment_id: int,
    day: date,
    now: datetime,
) -> Completion | Refusal:
    """Complete the user's open mission of ``day`` once, before its deadline (fixed when it
    was issued: a change of zone since does not extend it); publishes ``MissionCompleted``
    in this transaction (the points are written with it)."""
    session = uow.session
    result = await session.execute(
        update(MissionAssignment)
        .where(
            MissionAssignment.id == assignment_id,
            MissionAssignment.user_id == user_id,
            MissionAssignment.day == day,
            MissionAssignment.status == AssignmentStatus.OPEN,
            or_(MissionAssignment.ends_at.is_(None), MissionAssignment.ends_at > now),
        )
        .values(status=AssignmentStatus.DONE, completed_at=now)
    )
    if not rowcount(result):
        return await _refusal(session, user_id, assignment_id)
    mission = await session.scalar(
        select(Mission)
        .join(MissionAssignment, MissionAssignment.mission_id == Mission.id)
        .where(MissionAssignment.id == assignment_id)
    )
    assert mission is not None
    streak = await _advance_streak(session, user_id, day)
    event = MissionCompleted(user_id, assignment_id, mission.id, mission.points, streak, day)
    await uow.publish(event)
    return Completion(mission, assignment_id, streak)


async def _refusal(session: AsyncSession, user_id: int, assignment_id: int) -> Refusal:
    assignment = await session.get(MissionAssignment, assignment_id)
    if assignment is None or assignment.user_id != user_id:
        return Refusal.UNKNOWN
    if assignment.status == AssignmentStatus.DONE:
        return Refusal.ALREADY_DONE
    return Refusal.EXPIRED


async def _advance_streak(session: AsyncSession, user_id: int, day: date) -> int:
    streak = await get_or_insert(session, Streak, user_id=user_id, current=0, best=0)
    streak.current = next_streak(streak.current, streak.last_completed_day, day)
    streak.best = max(streak.best, streak.current)
    streak.last_completed_day = day
    await session.flush()
    return streak.current


async def expire_batch(
    uow: UnitOfWork,
    today_of: Callable[[str | None], date],
    after: int,
    limit: int,
    now: datetime,
) -> tuple[int, int | None]:
    """Look at up to ``limit`` open assignments after id ``after``; close those past their
    deadline (``ends_at`` before ``now``; one issued before deadlines were stored: of a day
    that has ended in their user's zone, ``today_of(zone)``) as missed and reset those
    users' streaks (unless they completed a later day since). How many were closed, and
    the id to go on after (None: all seen)."""
    latest = max(today_of(zone) for zone in (None, *_FURTHEST))
    rows = (
        await uow.session.execute(
            select(
                MissionAssignment.id,
                MissionAssignment.user_id,
                MissionAssignment.day,
                MissionAssignment.ends_at,
                User.timezone,
            )
            .outerjoin(User, User.id == MissionAssignment.user_id)
            .where(
                MissionAssignment.status == AssignmentStatus.OPEN,
                MissionAssignment.day < latest,
                MissionAssignment.id > after,
            )
            .order_by(MissionAssignment.id)
            .limit(limit)
        )
    ).all()
    ended = [
        row
        for row in rows
        if (row.ends_at <= now if row.ends_at is not None else row.day < today_of(row.timezone))
    ]
    if ended:
        await _close(uow, [(row.id, row.user_id, row.day) for row in ended])
    return len(ended), (rows[-1].id if len(rows) == limit else None)


_FURTHEST = ("UTC+14:00",)  # the zone whose day starts first


async def _close(uow: UnitOfWork, rows: list[tuple[int, int, date]]) -> None:
    session = uow.session
    await session.execute(
        update(MissionAssignment)
        .where(
            MissionAssignment.id.in_([row[0] for row in rows]),
            MissionAssignment.status == AssignmentStatus.OPEN,
        )
        .values(status=AssignmentStatus.MISSED)
    )
    for assignment_id, user_id, day in rows:
        await session.execute(
            update(Streak)
            .where(
                Streak.user_id == user_id,
                or_(Streak.last_completed_day.is_(None), Streak.last_completed_day < day),
            )
            .values(current=0)
        )
        await uow.publish(MissionMissed(user_id, assignment_id, day))


async def day_figures(session: AsyncSession, day: date) -> dict[str, int]:
    """The stats provider: missions assigned and completed on ``day``."""
    rows = await session.execute(
        select(MissionAssignment.status, func.count())
        .where(MissionAssignment.day == day)
        .group_by(MissionAssignment.status)
    )
    by_status = {status: int(count) for status, count in rows.all()}
    return {
        "missions_assigned": sum(by_status.values()),
        "missions_completed": by_status.get(AssignmentStatus.DONE, 0),
    }
