"""The economy's rules: every change of points is a ledger row, written idempotently.

Why awards happen inside the completion's transaction: the missions module raises
``MissionCompleted`` in its unit of work, and ``Awards.mission_completed`` (``awards.py``,
an in-transaction reaction) writes the ledger row(s) in that same unit of work with
:func:`credit`.
The completion and its points therefore commit together or not at all; a crash can
never leave a completed mission without its points, and a failed award rolls the
completion back so the user can press again. The unique (user, reason, reference) key
makes every award idempotent as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import UnitOfWork, dialect_insert, rowcount
from bot.modules.economy.events import PointsAwarded
from bot.modules.economy.models import Balance, LedgerEntry

STREAK_BONUS = 50
BONUS_EVERY = 7


class Reason(StrEnum):
    """Values of ``ledger.reason``."""

    MISSION = "mission"
    STREAK_BONUS = "streak_bonus"
    REFERRAL = "referral"


def streak_bonus(streak: int) -> int:
    """The bonus for reaching ``streak`` consecutive days: every 7th day earns one."""
    return STREAK_BONUS if streak > 0 and streak % BONUS_EVERY == 0 else 0


async def credit(
    uow: UnitOfWork,
    *,
    user_id: int,
    amount: int,
    reason: str,
    reference: str,
    now: datetime,
) -> int | None:
    """Add one ledger row and move the balance with it; None if it was already there."""
    session = uow.session
    row = {"user_id": user_id, "amount": amount, "reason": reason, "reference": reference}
    insert = dialect_insert(session, LedgerEntry).values(**row, created_at=now)
    result = await session.execute(insert.on_conflict_do_nothing())
    if not rowcount(result):
        return None
    upsert = dialect_insert(session, Balance).values(user_id=user_id, points=amount, streak=0)
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=["user_id"], set_={"points": Balance.points + amount}
        )
    )
    balance = await session.scalar(select(Balance.points).where(Balance.user_id == user_id))
    balance = int(balance or 0)
    await uow.publish(PointsAwarded(user_id, amount, reason, reference, balance))
    return balance


async def mirror_streak(session: AsyncSession, user_id: int, streak: int, day: date) -> None:
    """Record the streak /balance shows, as announced by the missions module."""
    upsert = dialect_insert(session, Balance).values(
        user_id=user_id, points=0, streak=streak, streak_day=day
    )
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=["user_id"], set_={"streak": streak, "streak_day": day}
        )
    )


@dataclass(frozen=True, slots=True)
class Statement:
    """What /balance shows."""

    points: int
    streak: int
    recent: list[LedgerEntry]


async def statement(session: AsyncSession, user_id: int, today: date) -> Statement:
    """Points, the live streak (0 once a day was skipped), and the last 5 ledger rows."""
    balance = await session.get(Balance, user_id)
    rows = await ledger(session, user_id, 5)
    return Statement(balance.points if balance else 0, live_streak(balance, today), rows)


def live_streak(balance: Balance | None, today: date) -> int:
    """The streak as it stands ``today``: the stored one, or 0 once a day was skipped."""
    if balance is None or balance.streak_day is None:
        return 0
    return balance.streak if balance.streak_day >= today - timedelta(days=1) else 0


async def ledger(session: AsyncSession, user_id: int, limit: int) -> list[LedgerEntry]:
    """A user's last ``limit`` ledger rows, newest first."""
    rows = await session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.user_id == user_id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    )
    return list(rows)


async def ledger_sum(session: AsyncSession, user_id: int) -> int:
    """The sum of a user's ledger rows (what their balance must equal)."""
    total = select(func.sum(LedgerEntry.amount)).where(LedgerEntry.user_id == user_id)
    return int(await session.scalar(total) or 0)


@dataclass(frozen=True, slots=True)
class Mismatch:
    user_id: int
    stored: int
    ledger: int


async def mismatches_after(
    session: AsyncSession, after_user: int, limit: int
) -> tuple[list[Mismatch], int, int | None]:
    """One keyset batch of balances compared with their ledger sums.

    Returns (mismatches, balances checked, last user id or None when done).
    """
    balances = (
        await session.execute(
            select(Balance.user_id, Balance.points)
            .where(Balance.user_id > after_user)
            .order_by(Balance.user_id)
            .limit(limit)
        )
    ).all()
    if not balances:
        return [], 0, None
    ids = [user_id for user_id, _ in balances]
    sums = dict(
        (
            await session.execute(
                select(LedgerEntry.user_id, func.sum(LedgerEntry.amount))
                .where(LedgerEntry.user_id.in_(ids))
                .group_by(LedgerEntry.user_id)
            )
        ).all()
    )
    found = [
        Mismatch(user_id, points, int(sums.get(user_id) or 0))
        for user_id, points in balances
        if points != int(sums.get(user_id) or 0)
    ]
    return found, len(balances), ids[-1]
