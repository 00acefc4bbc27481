"""``missions.sweep``: one job serves every user at their own hour.

Each minute it takes the ``user_schedules`` rows now due, a batch at a time, and in one
transaction per batch queues their messages in the outbox (a few set-based statements)
and moves each row's ``due_at`` to its next local occurrence. A crash rolls both back
together, so a message is never queued twice nor skipped. The catch-up rule is per user:
a row whose time fell while the bot was down still sends if it is the same local day for
that user; otherwise it only moves on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any

from sqlalchemy import SmallInteger, case, cast, exists, literal, null, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from bot.core.context import Services
from bot.core.delivery import Category, Priority, Queued
from bot.core.jobs import JobContext, Trigger
from bot.core.kernel import UnitOfWork, dialect_insert, get_logger
from bot.core.people import (
    User,
    UserSchedule,
    _,
    advance,
    applied_defaults,
    language_column,
    minute_of,
    move,
    next_occurrence,
    ngettext,
    occurrence,
    record_default,
    speaking,
    translatable,
)
from bot.modules.missions import service, times
from bot.modules.missions.catalogue import active_missions
from bot.modules.missions.events import MissionAssigned
from bot.modules.missions.models import AssignmentStatus, Mission, MissionAssignment, Streak
from bot.modules.missions.render import done_keyboard, mission_text

log = get_logger(__name__)

BATCH = 500
RECENT = timedelta(hours=1)  # new users a minute's seeding looks at
# Batches per kind in one run at least; past them a run goes on while it has taken less than
# RUN_SECONDS, so a zone's busy minute (tens of thousands on the default mission time) is
# queued in one run instead of a batch count's worth a minute, and a run still stays well
# inside its timeout and its minute; a bigger backlog, after downtime, goes on the next minute.
RUN_BATCHES = 40
RUN_SECONDS = 45.0
DUE_TYPE = UserSchedule.due_at.type


@dataclass(frozen=True, slots=True)
class Due:
    """A row taken by the sweep, with what its user's zone makes of it."""

    user_id: int
    kind: str
    zone: str | None
    minute: int | None
    day: date  # the local day of the occurrence
    send: bool  # reachable, and still that local day
    language: str  # the language the user reads (their message is written in it)


async def sweep(ctx: JobContext[Services]) -> str:
    """Queue what is due now for every kind, then say how much (see the module docstring)."""
    services, counts = ctx.services, Counter[str]()
    now = services.clock.now()
    full = ctx.trigger != Trigger.SCHEDULED or ctx.scheduled_for.minute == 0
    async with services.uow() as uow:
        await seed(services, uow.session, now, None if full else now - RECENT)
        if full and (moved := await retime(services, uow.session, now)):
            log.info("rows moved to the configured default time", rows=moved)
    started = monotonic()  # real time: how long this run has taken, whatever the bot's clock
    for kind in times.KINDS:
        rounds = 0
        while True:
            async with services.uow() as uow:
                taken = await _batch(services, uow.session, kind, now, counts)
            rounds += 1
            if taken < BATCH or (rounds >= RUN_BATCHES and monotonic() - started >= RUN_SECONDS):
                break
    figures = {
        "missions": counts["mission"],
        "reminders": counts["streak_risk"],
        "due": counts["due"],
        "late": counts["late"],
    }
    return translatable(
        lambda: _(
            "missions queued {missions}, streak reminders queued {reminders}, due rows {due}, "
            "late rows moved on {late}"
        ).format(**figures)
    )


async def seed(
    services: Services, session: AsyncSession, now: datetime, since: datetime | None = None
) -> None:
    """Rows for users on the bot's zone who have none yet (new users, an upgrade): one
    ``INSERT ... SELECT`` per kind, at the next occurrence of the kind's default time.
    ``since``: only users registered since then (each minute; all users once an hour,
    at start-up and on a manual run).

    A user who registered today before the time's occurrence today is due at it even when
    it has just passed (they came at 08:59:30, this minute's sweep runs at 09:00): the
    batch that follows sends it, the same local day, as it sends a late row."""
    tz = services.settings.tz
    for kind in times.KINDS:
        at = times.time_of(services, kind, None)
        due = next_occurrence(at, tz, now)
        today = now.astimezone(tz).date()
        todays = occurrence(today, at, tz)
        due_value: ColumnElement[datetime]
        if todays < due:  # passed: those who came today before it still get it
            came_before = (User.created_at >= occurrence(today, time(0), tz)) & (
                User.created_at < todays
            )
            due_value = case((came_before, literal(todays, DUE_TYPE)), else_=literal(due, DUE_TYPE))
        else:
            due_value = literal(due, DUE_TYPE)
        missing = ~exists().where(UserSchedule.user_id == User.id, UserSchedule.kind == kind)
        chosen = select(User.id, literal(kind), cast(null(), SmallInteger), due_value)
        chosen = chosen.where(User.timezone.is_(None), missing)
        if since is not None:
            chosen = chosen.where(User.created_at >= since)
        insert = dialect_insert(session, UserSchedule).from_select(
            ["user_id", "kind", "minute", "due_at"], chosen
        )
        await session.execute(insert.on_conflict_do_nothing())


async def retime(services: Services, session: AsyncSession, now: datetime) -> int:
    """Rows on a kind's default time whose pending occurrence is of another default (the
    configured mission time changed): each moves to the new time of the same local day,
    which may be now if that time has passed (the batch then judges it as it judges a late
    row: sent if that day is still today for the user). So a changed time holds from the
    next occurrence on: no day is skipped, and none doubled (one mission per user and day).

    ``schedule_defaults`` records the default the rows were computed with, so this reads
    one small table unless the default changed; then one grouped read of the waiting rows
    and one UPDATE per (zone, pending instant) that moves, in the caller's transaction."""
    moved, applied = 0, await applied_defaults(session)
    for kind in times.KINDS:
        at = times.time_of(services, kind, None)
        minute = minute_of(at)
        if applied.get(kind) == minute:
            continue
        pending = (
            select(User.timezone, UserSchedule.due_at)
            .join(User, User.id == UserSchedule.user_id)
            .where(
                UserSchedule.kind == kind,
                UserSchedule.minute.is_(None),
                UserSchedule.due_at > now,
            )
            .distinct()
        )
        for zone_name, due_at in (await session.execute(pending)).all():
            tz = times.zone(services, zone_name)
            target = occurrence(due_at.astimezone(tz).date(), at, tz)
            if target != due_at:
                moved += await move(session, kind, zone_name, due_at, target)
        await record_default(session, kind, minute)
    return moved


async def _batch(
    services: Services, session: AsyncSession, kind: str, now: datetime, counts: Counter[str]
) -> int:
    """One transaction: take up to BATCH due rows, queue, advance; how many were taken."""
    query = (
        select(
            UserSchedule.user_id,
            UserSchedule.minute,
            UserSchedule.due_at,
            User.timezone,
            User.reachable,
            language_column(),
        )
        .join(User, User.id == UserSchedule.user_id)
        .where(UserSchedule.kind == kind, UserSchedule.due_at <= now)
        .order_by(UserSchedule.due_at)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=UserSchedule, skip_locked=True)
    rows = (await session.execute(query)).all()
    taken = [_judge(services, kind, *row) for row in rows]
    sending = [due for due in taken if due.send]
    deliver = _missions if kind == times.MISSION else _streak_reminders
    counts[kind] += await deliver(services, session, sending) if sending else 0
    counts["due"] += len(taken)
    counts["late"] += len(taken) - len(sending)
    await _advance(services, session, kind, taken, now)
    return len(taken)


def _judge(
    services: Services,
    kind: str,
    user_id: int,
    minute: int | None,
    due_at: datetime,
    stored_zone: str | None,
    reachable: bool,
    language: str,
) -> Due:
    tz = times.zone(services, stored_zone)
    day = due_at.astimezone(tz).date()
    send = bool(reachable) and day == services.clock.today(tz)
    return Due(user_id, kind, stored_zone, minute, day, send, language)


async def _advance(
    services: Services, session: AsyncSession, kind: str, taken: Sequence[Due], now: datetime
) -> None:
    """Each row to its next local occurrence after now: one UPDATE per distinct instant
    (users due together are mostly due together again tomorrow)."""
    following: dict[tuple[str | None, int | None], datetime] = {}
    groups: dict[datetime, list[int]] = defaultdict(list)
    for due in taken:
        key = (due.zone, due.minute)
        if key not in following:
            at: time = times.time_of(services, kind, due.minute)
            following[key] = next_occurrence(at, times.zone(services, due.zone), now)
        groups[following[key]].append(due.user_id)
    for instant, user_ids in groups.items():
        await advance(session, kind, user_ids, instant)


async def _missions(services: Services, session: AsyncSession, due: Sequence[Due]) -> int:
    """Assign the day's mission to each user who has none yet and queue its message."""
    catalogue = await active_missions(session)
    if not catalogue:
        return 0
    pairs = {(d.user_id, d.day) for d in due}
    zones = {d.user_id: d.zone for d in due}
    have = await _assigned(session, pairs)
    values = []
    for day in {d.day for d in due}:
        user_ids = [u for u, d in pairs if d == day and (u, d) not in have]
        yesterday = await service.yesterdays_missions(session, user_ids, day)
        for user_id in user_ids:
            mission = service.pick_mission(catalogue, user_id, day, yesterday.get(user_id))
            if mission is not None:
                ends_at = times.day_end(day, times.zone(services, zones[user_id]))
                values.append(_assignment(user_id, mission, day, ends_at, services.clock.now()))
    if not values:
        return 0
    by_id = {m.id: m for m in catalogue}
    readers = {d.user_id: d.language for d in due}
    rows = await _insert_assignments(session, values)
    uow, messages = UnitOfWork.of(session), []
    for assignment_id, user_id, mission_id, day in rows:
        await uow.publish(MissionAssigned(user_id, assignment_id, mission_id, day))
        with speaking(readers[user_id]):  # each recipient's own language
            text, keyboard = mission_text(by_id[mission_id]), done_keyboard(assignment_id)
        messages.append(
            Queued(
                f"mission:{day.isoformat()}:{user_id}",
                user_id,
                user_id,
                Category.MISSION,
                Priority.MISSION,
                text,
                {"reply_markup": keyboard},
            )
        )
    return await services.outbox.enqueue_many(session, messages)


def _assignment(
    user_id: int, mission: Mission, day: date, ends_at: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "mission_id": mission.id,
        "day": day,
        "ends_at": ends_at,
        "status": AssignmentStatus.OPEN,
        "assigned_at": now,
    }


async def _assigned(session: AsyncSession, pairs: set[tuple[int, date]]) -> set[tuple[int, date]]:
    query = select(MissionAssignment.user_id, MissionAssignment.day).where(
        MissionAssignment.user_id.in_({u for u, _d in pairs}),
        MissionAssignment.day.in_({d for _u, d in pairs}),
    )
    return {(u, d) for u, d in (await session.execute(query)).all()} & pairs


async def _insert_assignments(
    session: AsyncSession, values: list[dict[str, Any]]
) -> list[tuple[int, int, int, date]]:
    """One INSERT for the batch; the rows it wrote (a /mission meanwhile keeps its own)."""
    insert = dialect_insert(session, MissionAssignment).on_conflict_do_nothing()
    returned = insert.returning(
        MissionAssignment.id,
        MissionAssignment.user_id,
        MissionAssignment.mission_id,
        MissionAssignment.day,
    )
    return [tuple(row) for row in (await session.execute(returned, values)).all()]


async def _streak_reminders(services: Services, session: AsyncSession, due: Sequence[Due]) -> int:
    """Users whose mission of the day is still open and whose streak ends with the day."""
    pairs = {(d.user_id, d.day) for d in due}
    query = (
        select(
            MissionAssignment.user_id,
            MissionAssignment.day,
            Streak.current,
            Streak.last_completed_day,
        )
        .join(Streak, Streak.user_id == MissionAssignment.user_id)
        .where(
            MissionAssignment.user_id.in_({u for u, _d in pairs}),
            MissionAssignment.day.in_({d for _u, d in pairs}),
            MissionAssignment.status == AssignmentStatus.OPEN,
            Streak.current > 0,
        )
    )
    readers = {d.user_id: d.language for d in due}
    messages = [
        Queued(
            f"streak:{day.isoformat()}:{user_id}",
            user_id,
            user_id,
            Category.REMINDER,
            Priority.REMINDER,
            streak_risk_text(readers[user_id], current),
        )
        for user_id, day, current, last in (await session.execute(query)).all()
        if (user_id, day) in pairs and last == day - timedelta(days=1)
    ]
    return await services.outbox.enqueue_many(session, messages) if messages else 0


def streak_risk_text(language: str, days: int) -> str:
    """The evening reminder of a streak at risk, in ``language`` (the number of days takes
    its form there: Ukrainian says "з 21 дня", "з 5 днів")."""
    with speaking(language):
        return ngettext(
            "🔥 Your {days}-day streak ends at midnight: today's mission is still open. "
            "Send /mission to keep it going.",
            "🔥 Your {days}-day streak ends at midnight: today's mission is still open. "
            "Send /mission to keep it going.",
            days,
        ).format(days=days)
