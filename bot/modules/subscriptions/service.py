"""Subscription rules: durations, grant/extend, revoke, expiry and reminders.

Every state change is a single-row ``UPDATE ... WHERE`` on the expected state (an end
time moves inside that statement, never read-modify-write), and the
message that tells the user about it is queued in the outbox in the same transaction,
so a crash never loses or doubles it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import String, and_, case, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import Category, Outbox, Priority
from bot.core.kernel import PurgeRequest, delete_in_batches, dialect_insert, rowcount
from bot.core.people import User, _, moment
from bot.modules.subscriptions.models import (
    ChargeState,
    InviteLink,
    StarPayment,
    Subscription,
    SubscriptionStatus,
)

MAX_DURATION = timedelta(days=3650)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"([+-]?[0-9]{1,12})([smhdw])")  # ASCII digits: int('²') raises
THRESHOLDS = (("1d", timedelta(days=1)), ("3d", timedelta(days=3)))


class DurationError(ValueError):
    """A duration argument that cannot be used; the message is shown to the admin."""


def parse_duration(text: str) -> timedelta:
    """``90s``, ``12h``, ``30d``, ``2w`` -> timedelta; zero, negative and > 10 years refused."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise DurationError(
            _("{text!r} is not a duration: use e.g. 90s, 12h, 30d or 2w").format(text=text)
        )
    amount, unit = int(match.group(1)), match.group(2)
    if amount <= 0:
        raise DurationError(_("the duration must be positive"))
    if amount * _UNITS[unit] > MAX_DURATION.total_seconds():
        raise DurationError(_("the duration is longer than 10 years; that looks like a typo"))
    return timedelta(seconds=amount * _UNITS[unit])


@dataclass(frozen=True, slots=True)
class Grant:
    """The outcome of a grant: the new end and whether an active subscription was extended."""

    user_id: int
    ends_at: datetime
    extended: bool


def local(at: datetime, tz: tzinfo) -> str:
    """A date and time in ``tz`` (the reader's zone, or the bot's for admins' views), written
    the reader's way, with the zone's name."""
    return f"{moment(at, tz)} {at.astimezone(tz):%Z}"


async def user_exists(session: AsyncSession, user_id: int) -> bool:
    return await session.get(User, user_id) is not None


async def get(session: AsyncSession, user_id: int) -> Subscription | None:
    return await session.scalar(select(Subscription).where(Subscription.user_id == user_id))


def shifted(session: AsyncSession, column: Any, seconds: int) -> Any:
    """``column`` moved by whole ``seconds``, computed by the database in the statement
    that writes it (so concurrent changes all count). On SQLite the stored text
    ``YYYY-MM-DD HH:MM:SS.ffffff`` keeps its microseconds: only the seconds part moves."""
    if session.get_bind().dialect.name == "postgresql":
        return column + func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    moved = func.strftime(
        "%Y-%m-%d %H:%M:%S", func.substr(column, 1, 19), f"{seconds:+d} seconds", type_=String()
    )
    return moved.concat(func.substr(column, 20))


def _whole_seconds(duration: timedelta) -> int:
    seconds = int(duration.total_seconds())
    if seconds <= 0 or timedelta(seconds=seconds) != duration:
        raise DurationError(_("a subscription moves by whole seconds only"))
    return seconds


async def grant(session: AsyncSession, user_id: int, duration: timedelta, now: datetime) -> Grant:
    """Start a subscription, or extend an active one from its current end, in ONE statement
    (``INSERT ... ON CONFLICT DO UPDATE`` computing the end in SQL): two grants at once
    (an admin's /grant and a Stars payment) both count, none is lost."""
    seconds = _whole_seconds(duration)
    fresh_end = now + timedelta(seconds=seconds)
    insert = dialect_insert(session, Subscription).values(
        user_id=user_id,
        starts_at=now,
        ends_at=fresh_end,
        status=SubscriptionStatus.ACTIVE,
        updated_at=now,
    )
    running = and_(Subscription.status == SubscriptionStatus.ACTIVE, Subscription.ends_at > now)
    ends_at = case(
        (running, shifted(session, Subscription.ends_at, seconds)), else_=insert.excluded.ends_at
    )
    starts_at = case((running, Subscription.starts_at), else_=insert.excluded.starts_at)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "ends_at": ends_at,
                "starts_at": starts_at,
                "status": SubscriptionStatus.ACTIVE,
                "updated_at": now,
                "reminded_3d_at": None,
                "reminded_1d_at": None,
                "removed_at": None,
                "checked_at": None,
            },
        )
    )
    new_end = await _ends_at(session, user_id)
    assert new_end is not None  # just written in this transaction
    return Grant(user_id, new_end, extended=new_end != fresh_end)


async def shorten(
    session: AsyncSession, user_id: int, duration: timedelta, now: datetime
) -> datetime | None:
    """Take ``duration`` off an active subscription in one statement (a refund); the new
    end, or None if there was no active subscription to shorten."""
    seconds = _whole_seconds(duration)
    result = await session.execute(
        update(Subscription)
        .where(Subscription.user_id == user_id, Subscription.status == SubscriptionStatus.ACTIVE)
        .values(
            ends_at=shifted(session, Subscription.ends_at, -seconds),
            updated_at=now,
            reminded_3d_at=None,
            reminded_1d_at=None,
        )
    )
    if not rowcount(result):
        return None
    return await _ends_at(session, user_id)


async def note_period(session: AsyncSession, charge_id: str, ends_at: datetime) -> None:
    """Record the end of the period a charge bought: the subscription's end just after its
    grant (in the grant's transaction)."""
    await session.execute(
        update(StarPayment).where(StarPayment.charge_id == charge_id).values(period_ends_at=ends_at)
    )


async def shift_periods(
    session: AsyncSession, user_id: int, after: datetime, seconds: int, since: datetime
) -> None:
    """Move ``seconds`` earlier the periods bought after ``after`` by the user's granted
    charges in the subscription running ``since`` (a refund took back time before them)."""
    await session.execute(
        update(StarPayment)
        .where(
            StarPayment.user_id == user_id,
            StarPayment.state == ChargeState.GRANTED,
            StarPayment.period_ends_at > after,
            StarPayment.granted_at >= since,
        )
        .values(period_ends_at=shifted(session, StarPayment.period_ends_at, -seconds))
    )


async def _ends_at(session: AsyncSession, user_id: int) -> datetime | None:
    query = select(Subscription.ends_at).where(Subscription.user_id == user_id)
    return await session.scalar(query.execution_options(populate_existing=True))


def is_active(sub: Subscription | None, now: datetime) -> bool:
    return sub is not None and sub.status == SubscriptionStatus.ACTIVE and sub.ends_at > now


async def record_link(
    session: AsyncSession, *, link: str, user_id: int, expires_at: datetime, now: datetime
) -> None:
    session.add(InviteLink(link=link, user_id=user_id, expires_at=expires_at, created_at=now))


async def purge_expired_links(request: PurgeRequest) -> int:
    """Delete invite links past their expiry (Telegram refuses them by then), in batches;
    registered in ``services.purgers`` and run by ``cleanup.daily``."""
    purged = await delete_in_batches(
        request.db,
        InviteLink.id,
        InviteLink.expires_at <= request.now,
        batch_size=request.batch_size,
    )
    return purged.rows


async def end(session: AsyncSession, sub_id: int, now: datetime, *, revoked: bool) -> bool:
    """Atomically end one active subscription (expiry needs its end time to have passed)."""
    query = update(Subscription).where(
        Subscription.id == sub_id, Subscription.status == SubscriptionStatus.ACTIVE
    )
    if not revoked:
        query = query.where(Subscription.ends_at <= now)
    status = SubscriptionStatus.REVOKED if revoked else SubscriptionStatus.EXPIRED
    result = await session.execute(query.values(status=status, updated_at=now))
    return bool(rowcount(result))


async def due_to_expire(session: AsyncSession, now: datetime, limit: int) -> Sequence[Subscription]:
    query = (
        select(Subscription)
        .where(Subscription.status == SubscriptionStatus.ACTIVE, Subscription.ends_at <= now)
        .order_by(Subscription.ends_at)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def mark_removed(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Record that Telegram confirmed an ended subscriber out of the VIP chat."""
    await session.execute(
        update(Subscription)
        .where(Subscription.user_id == user_id, Subscription.status != SubscriptionStatus.ACTIVE)
        .values(removed_at=now, checked_at=now)
    )


async def to_check(session: AsyncSession, limit: int) -> Sequence[int]:
    """Ended subscribers confirmed out of the VIP chat, least recently checked first."""
    query = (
        select(Subscription.user_id)
        .where(
            Subscription.status != SubscriptionStatus.ACTIVE,
            Subscription.removed_at.is_not(None),
        )
        .order_by(Subscription.checked_at.asc().nulls_first(), Subscription.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def mark_checked(session: AsyncSession, user_ids: Sequence[int], now: datetime) -> None:
    await session.execute(
        update(Subscription).where(Subscription.user_id.in_(user_ids)).values(checked_at=now)
    )


async def claim_reminder(
    session: AsyncSession, sub: Subscription, threshold: str, now: datetime
) -> bool:
    """Record that ``threshold``'s reminder is going out for this end time; False if it already
    did. The 1-day reminder also settles the 3-day one, so nobody gets both at once."""
    column = Subscription.reminded_1d_at if threshold == "1d" else Subscription.reminded_3d_at
    values: dict[str, object] = {column.key: now}
    if threshold == "1d":
        values["reminded_3d_at"] = func.coalesce(Subscription.reminded_3d_at, now)
    result = await session.execute(
        update(Subscription)
        .where(
            Subscription.id == sub.id,
            Subscription.ends_at == sub.ends_at,
            Subscription.status == SubscriptionStatus.ACTIVE,
            column.is_(None),
        )
        .values(**values)
    )
    return bool(rowcount(result))


async def due_reminders(
    session: AsyncSession, threshold: str, window: timedelta, now: datetime
) -> Sequence[Subscription]:
    column = Subscription.reminded_1d_at if threshold == "1d" else Subscription.reminded_3d_at
    query = select(Subscription).where(
        Subscription.status == SubscriptionStatus.ACTIVE,
        Subscription.ends_at > now,
        Subscription.ends_at <= now + window,
        column.is_(None),
    )
    return (await session.scalars(query)).all()


async def count_active(session: AsyncSession, now: datetime) -> int:
    query = select(func.count()).where(
        Subscription.status == SubscriptionStatus.ACTIVE, Subscription.ends_at > now
    )
    return int(await session.scalar(query) or 0)


async def count_active_at(session: AsyncSession, at: datetime) -> int:
    """Subscriptions running at ``at`` (a past instant too: started by then, ending after,
    not revoked by then; a renewal after a lapse counts from its new start)."""
    revoked_by_then = and_(
        Subscription.status == SubscriptionStatus.REVOKED, Subscription.updated_at <= at
    )
    query = select(func.count()).where(
        Subscription.starts_at <= at, Subscription.ends_at > at, not_(revoked_by_then)
    )
    return int(await session.scalar(query) or 0)


async def tell(
    outbox: Outbox,
    session: AsyncSession,
    *,
    key: str,
    user_id: int,
    text: Callable[[], str],
    category: Category,
) -> bool:
    """Queue a message about the user's subscription in the caller's transaction; ``text``
    is written in the user's language (a job or an admin's command queues it)."""
    priority = Priority.REMINDER if category == Category.REMINDER else Priority.NOTIFICATION
    return await outbox.enqueue(
        session,
        key=key,
        chat_id=user_id,
        user_id=user_id,
        category=category,
        priority=priority,
        text=text,
    )
