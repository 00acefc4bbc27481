"""Per-user daily times: one row per (user, kind of message) holding its next ``due_at``.

A sweeper job selects the rows now due instead of keeping a scheduler job per user, so
memory does not grow with the audience and a restart forgets nothing. ``due_at`` is UTC;
the wall-clock time it stands for is ``minute`` (minutes after local midnight, NULL:
the kind's default) in the user's zone, and :func:`next_occurrence` turns one into the
other with ``zoneinfo``, daylight saving included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import BigInteger, Index, SmallInteger, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base, dialect_insert, rowcount
from bot.core.people.users import User

MINUTES_PER_DAY = 24 * 60


class UserSchedule(Base):
    """When a user's next message of ``kind`` is due."""

    __tablename__ = "user_schedules"
    __table_args__ = (Index("ix_user_schedules_kind_due", "kind", "due_at"),)

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    minute: Mapped[int | None] = mapped_column(SmallInteger)
    due_at: Mapped[datetime]


class ScheduleDefault(Base):
    """The default time (minute of the day) the rows of ``kind`` on the default were last
    computed with: a full sweep re-times them only when the configured default differs."""

    __tablename__ = "schedule_defaults"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    minute: Mapped[int] = mapped_column(SmallInteger)


def wall_time(minute: int) -> time:
    return time(minute // 60, minute % 60)


def minute_of(at: time) -> int:
    """The minute of the day of a wall-clock time (the inverse of :func:`wall_time`)."""
    return at.hour * 60 + at.minute


def _exists(local: datetime) -> bool:
    """Whether a wall-clock time happens in its zone (not skipped by a spring-forward)."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def occurrence(day: date, at: time, tz: tzinfo) -> datetime:
    """The instant (UTC) ``at`` happens on local ``day``: the first of two on a fall-back
    night; on a spring-forward night, for a time that is skipped, the first valid minute
    after it (the end of the gap)."""
    local = datetime.combine(day, at, tz)  # fold=0: the earlier of an ambiguous pair
    if _exists(local):
        return local.astimezone(UTC)
    wall = local.replace(second=0, microsecond=0)
    for _ in range(MINUTES_PER_DAY):
        wall += timedelta(minutes=1)
        if _exists(wall):
            return wall.astimezone(UTC)
    raise ValueError(f"no valid time after {local} in {tz}")  # pragma: no cover


def next_occurrence(at: time, tz: tzinfo, after: datetime) -> datetime:
    """The first instant strictly after ``after`` at which local time in ``tz`` is ``at``
    (counted once per local day, so DST never doubles or drops a day)."""
    day = after.astimezone(tz).date() - timedelta(days=1)
    while (instant := occurrence(day, at, tz)) <= after:
        day += timedelta(days=1)
    return instant


async def plan(
    session: AsyncSession, user_id: int, kind: str, minute: int | None, due_at: datetime
) -> None:
    """Store (insert or replace) a user's row of ``kind``."""
    values = {"user_id": user_id, "kind": kind, "minute": minute, "due_at": due_at}
    statement = dialect_insert(session, UserSchedule).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "kind"], set_={"minute": minute, "due_at": due_at}
        )
    )


async def rows_of(session: AsyncSession, user_id: int) -> list[UserSchedule]:
    query = select(UserSchedule).where(UserSchedule.user_id == user_id)
    return list(await session.scalars(query))


async def advance(session: AsyncSession, kind: str, user_ids: list[int], due_at: datetime) -> None:
    """Move the rows of ``kind`` of ``user_ids`` to ``due_at`` (one statement for a group)."""
    await session.execute(
        update(UserSchedule)
        .where(UserSchedule.kind == kind, UserSchedule.user_id.in_(user_ids))
        .values(due_at=due_at)
    )


async def move(
    session: AsyncSession, kind: str, zone: str | None, due_at: datetime, target: datetime
) -> int:
    """Move the default-time rows of ``kind`` of the users in ``zone`` (None: those on
    ``TIMEZONE``) that wait for ``due_at`` to ``target``; how many moved."""
    in_zone = User.timezone.is_(None) if zone is None else User.timezone == zone
    result = await session.execute(
        update(UserSchedule)
        .where(
            UserSchedule.kind == kind,
            UserSchedule.minute.is_(None),
            UserSchedule.due_at == due_at,
            UserSchedule.user_id.in_(select(User.id).where(in_zone)),
        )
        .values(due_at=target)
    )
    return rowcount(result)


async def applied_defaults(session: AsyncSession) -> dict[str, int]:
    """Each kind's default minute the rows were last computed with (none: never recorded)."""
    rows = await session.execute(select(ScheduleDefault.kind, ScheduleDefault.minute))
    return {kind: minute for kind, minute in rows.all()}


async def record_default(session: AsyncSession, kind: str, minute: int) -> None:
    statement = dialect_insert(session, ScheduleDefault).values(kind=kind, minute=minute)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["kind"], set_={"minute": minute})
    )
