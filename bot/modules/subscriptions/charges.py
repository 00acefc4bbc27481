"""Stars charges on record: stored on arrival, granted once, refunded at most once.

Each state change is an ``UPDATE ... WHERE state = <expected>``: the grant claims a
``received`` charge in the grant's own transaction, so retries (the handler, the
``subscriptions.settle_payments`` job, a second delivery) grant it exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import dialect_insert, redact, rowcount
from bot.modules.subscriptions import payments, star_subscriptions
from bot.modules.subscriptions.models import ChargeState, StarPayment


@dataclass(frozen=True, slots=True)
class Charge:
    """What a ``successful_payment`` message says, as it arrived."""

    charge_id: str
    user_id: int
    amount: int
    currency: str
    payload: str
    # A renewing subscription's charge: the end of the period it pays for.
    expires_at: datetime | None = None
    first_recurring: bool = False  # the first charge of a renewing subscription

    def fields(self) -> dict[str, object]:
        return {
            "charge_id": self.charge_id,
            "user_id": self.user_id,
            "amount": self.amount,
            "currency": self.currency,
            "payload": self.payload,
            "subscription_expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


def days_bought(charge: Charge) -> int:
    """The days the charge's payload sells; 0 when it names nothing to grant."""
    try:
        offer = payments.parse_payload(charge.payload)
    except payments.PaymentError:
        return 0
    return offer.days if offer.days > 0 else 0


async def store(session: AsyncSession, charge: Charge, now: datetime) -> StarPayment:
    """Insert the charge unless it is already on record; the row as stored (a second
    delivery of the same charge returns the first one's row, unchanged)."""
    days = days_bought(charge)
    values = {
        "charge_id": charge.charge_id,
        "user_id": charge.user_id,
        "days": days,
        "stars": charge.amount,
        "currency": charge.currency[:8],
        "payload": charge.payload[:255],
        "state": ChargeState.RECEIVED if days else ChargeState.UNUSABLE,
        "attempts": 0,
        "created_at": now,
        "subscription_expires_at": charge.expires_at,
    }
    insert = dialect_insert(session, StarPayment).values(**values)
    await session.execute(insert.on_conflict_do_nothing(index_elements=["charge_id"]))
    if charge.expires_at is not None and days:
        await star_subscriptions.note_charge(
            session,
            charge.user_id,
            charge.charge_id,
            charge.amount,
            charge.expires_at,
            now,
            first=charge.first_recurring,
        )
    row = await get(session, charge.charge_id)
    assert row is not None  # inserted now or before
    return row


async def get(session: AsyncSession, charge_id: str) -> StarPayment | None:
    query = select(StarPayment).where(StarPayment.charge_id == charge_id)
    return await session.scalar(query.execution_options(populate_existing=True))


async def claim_grant(session: AsyncSession, charge_id: str, now: datetime) -> bool:
    """Mark a received charge granted (in the grant's transaction); False if it is not
    waiting any more (granted by a concurrent retry, or refunded)."""
    result = await session.execute(
        update(StarPayment)
        .where(StarPayment.charge_id == charge_id, StarPayment.state == ChargeState.RECEIVED)
        .values(state=ChargeState.GRANTED, granted_at=now, last_error=None)
    )
    return bool(rowcount(result))


async def note_failure(session: AsyncSession, charge_id: str, error: str) -> None:
    await session.execute(
        update(StarPayment)
        .where(StarPayment.charge_id == charge_id, StarPayment.state == ChargeState.RECEIVED)
        .values(attempts=StarPayment.attempts + 1, last_error=redact(error)[:500])
    )


async def waiting(session: AsyncSession, limit: int) -> Sequence[str]:
    """Charge ids stored but not granted yet, oldest first."""
    query = (
        select(StarPayment.charge_id)
        .where(StarPayment.state == ChargeState.RECEIVED)
        .order_by(StarPayment.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def mark_refunded(session: AsyncSession, charge_id: str, seen: str, now: datetime) -> bool:
    """Move the charge from ``seen`` to refunded; False if its state changed meanwhile."""
    result = await session.execute(
        update(StarPayment)
        .where(StarPayment.charge_id == charge_id, StarPayment.state == seen)
        .values(state=ChargeState.REFUNDED, refunded_at=now)
    )
    return bool(rowcount(result))


async def stars_revenue(session: AsyncSession, start: datetime, end: datetime) -> int:
    """The Stars taken in ``[start, end)``: charges granted then, minus the granted charges
    refunded then (a charge refunded before any grant never counted)."""
    total = func.coalesce(func.sum(StarPayment.stars), 0)
    granted = select(total).where(StarPayment.granted_at >= start, StarPayment.granted_at < end)
    refunded = select(total).where(
        StarPayment.granted_at.is_not(None),
        StarPayment.refunded_at >= start,
        StarPayment.refunded_at < end,
    )
    return int(await session.scalar(granted) or 0) - int(await session.scalar(refunded) or 0)
