"""Renewing Stars subscriptions on record: one row per subscriber, noted with every charge
that arrives (idempotent: a charge delivered twice changes nothing), and its renewal state
written only after Telegram accepted the change (``renewing.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import dialect_insert, rowcount
from bot.modules.subscriptions.models import StarSubscription, StarSubscriptionState


async def note_charge(
    session: AsyncSession,
    user_id: int,
    charge_id: str,
    stars: int,
    expires_at: datetime,
    now: datetime,
    *,
    first: bool,
) -> None:
    """Record a renewing subscription's charge: a charge for a period beyond the one on
    record is a renewal, or with ``first`` (``is_first_recurring``) a new subscription, whose
    first charge is kept as the id Telegram knows it by; an older or repeated one changes
    nothing."""
    insert = dialect_insert(session, StarSubscription).values(
        user_id=user_id,
        first_charge_id=charge_id,
        last_charge_id=charge_id,
        state=StarSubscriptionState.ACTIVE,
        stars=stars,
        expires_at=expires_at,
        updated_at=now,
    )
    newer = StarSubscription.expires_at < insert.excluded.expires_at

    def pick(column: object, value: object) -> object:
        return case((newer, value), else_=column)

    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "first_charge_id": (
                    pick(StarSubscription.first_charge_id, charge_id)
                    if first
                    else StarSubscription.first_charge_id
                ),
                "last_charge_id": pick(StarSubscription.last_charge_id, charge_id),
                "state": pick(StarSubscription.state, StarSubscriptionState.ACTIVE.value),
                "stars": pick(StarSubscription.stars, stars),
                "expires_at": pick(StarSubscription.expires_at, insert.excluded.expires_at),
                "updated_at": now,
            },
        )
    )


async def get(session: AsyncSession, user_id: int) -> StarSubscription | None:
    query = select(StarSubscription).where(StarSubscription.user_id == user_id)
    return await session.scalar(query.execution_options(populate_existing=True))


async def by_charge(session: AsyncSession, charge_id: str) -> StarSubscription | None:
    """The subscription a charge (its first or its last) belongs to."""
    query = select(StarSubscription).where(
        (StarSubscription.first_charge_id == charge_id)
        | (StarSubscription.last_charge_id == charge_id)
    )
    return await session.scalar(query.execution_options(populate_existing=True))


async def set_state(
    session: AsyncSession, user_id: int, first_charge_id: str, state: str, now: datetime
) -> bool:
    """Record the renewal state Telegram accepted for this subscription; False if the
    subscription on record is another one by now."""
    result = await session.execute(
        update(StarSubscription)
        .where(
            StarSubscription.user_id == user_id,
            StarSubscription.first_charge_id == first_charge_id,
        )
        .values(state=state, updated_at=now)
    )
    return bool(rowcount(result))


def renews(row: StarSubscription | None, ends_at: datetime) -> bool:
    """Whether Telegram is expected to renew the subscription that ends at ``ends_at``."""
    return (
        row is not None and row.state == StarSubscriptionState.ACTIVE and row.expires_at >= ends_at
    )
