"""Referral rewards, in two steps so that a referral problem never blocks a completion.

1. :func:`record_due` runs inside the transaction of the invitee's ``MissionCompleted``
   (a transactional handler): the reward row exists exactly when the first completion
   was committed. UNIQUE(invitee_id) makes it once per invitee, ever.
2. :func:`pay` runs after that commit, in its own transaction: an atomic
   ``UPDATE ... SET paid_at WHERE paid_at IS NULL`` claims the reward, publishes
   ``ReferralRewarded`` in the same transaction (the economy writes the ledger row
   there, idempotent by (inviter, "referral", invitee)) and queues the inviter's
   notification in the outbox. If the process stops between 1 and 2, the hourly
   ``referrals.process`` sweep finds the unpaid row and pays it exactly once.
"""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.delivery import Category, Priority
from bot.core.kernel import UnitOfWork, dialect_insert, rowcount
from bot.core.people import User, _, count_invited, ngettext, number, shown_name
from bot.modules.referrals.events import ReferralRewarded
from bot.modules.referrals.models import ReferralReward

REWARD = 100


async def inviter_of(session: AsyncSession, invitee_id: int) -> int | None:
    """The user's inviter, unless it is themselves or a cycle (each invited the other)."""
    invitee = await session.get(User, invitee_id)
    if invitee is None or invitee.referrer_id in (None, invitee_id):
        return None
    inviter = await session.get(User, invitee.referrer_id)
    if inviter is None or inviter.referrer_id == invitee_id:
        return None
    return inviter.id


async def referrer_of(session: AsyncSession, invitee_id: int) -> int | None:
    """The id the user's invite link named, known to the bot yet or not, unless it is
    themselves or a cycle with a known inviter."""
    invitee = await session.get(User, invitee_id)
    if invitee is None or invitee.referrer_id in (None, invitee_id):
        return None
    inviter = await session.get(User, invitee.referrer_id)
    if inviter is not None and inviter.referrer_id == invitee_id:
        return None
    return invitee.referrer_id


async def record_due(session: AsyncSession, invitee_id: int, now: datetime) -> bool:
    """Record the inviter's reward for this invitee's first completion; True if new. An
    inviter the bot has not met yet is recorded too: :func:`pay` waits for them."""
    inviter_id = await referrer_of(session, invitee_id)
    if inviter_id is None:
        return False
    insert = dialect_insert(session, ReferralReward).values(
        invitee_id=invitee_id, inviter_id=inviter_id, points=REWARD, created_at=now
    )
    result = await session.execute(insert.on_conflict_do_nothing())
    return bool(rowcount(result))


async def pay(uow: UnitOfWork, services: Services, invitee_id: int) -> bool:
    """Pay the recorded, unpaid reward for ``invitee_id``; True if this call paid it.
    Nothing is paid while the inviter is unknown (:func:`inviter_arrived` pays then)."""
    session = uow.session
    if await inviter_of(session, invitee_id) is None:
        return False
    claimed = await session.execute(
        update(ReferralReward)
        .where(ReferralReward.invitee_id == invitee_id, ReferralReward.paid_at.is_(None))
        .values(paid_at=services.clock.now())
    )
    if not rowcount(claimed):
        return False
    reward = await session.scalar(
        select(ReferralReward).where(ReferralReward.invitee_id == invitee_id)
    )
    assert reward is not None
    event = ReferralRewarded(reward.inviter_id, invitee_id, reward.points)
    await uow.publish(event)
    invitee = await session.get(User, invitee_id)
    await services.outbox.enqueue(
        session,
        key=f"referral:{invitee_id}",
        chat_id=reward.inviter_id,
        user_id=reward.inviter_id,
        category=Category.REWARD,
        priority=Priority.NOTIFICATION,
        text=functools.partial(_notification, invitee, reward.points),
    )
    return True


def _notification(invitee: User | None, points: int) -> str:
    """The inviter's notice (written in the current language: the inviter's)."""
    if invitee and invitee.first_name:
        name = shown_name(invitee.first_name)
    else:
        name = _("A friend you invited")
    text = ngettext(
        "🎉 {name} completed their first mission — you earned {points} point! See /balance.",
        "🎉 {name} completed their first mission — you earned {points} points! See /balance.",
        points,
    )
    return text.format(name=name, points=number(points))


async def inviter_arrived(services: Services, inviter_id: int) -> int:
    """Pay what friends earned a user before the user's own first ``/start``; how many."""
    async with services.db.session() as session:
        waiting = await session.scalars(
            select(ReferralReward.invitee_id).where(
                ReferralReward.inviter_id == inviter_id, ReferralReward.paid_at.is_(None)
            )
        )
        invitees = list(waiting)
    paid = 0
    for invitee_id in invitees:
        async with services.uow() as uow:
            paid += await pay(uow, services, invitee_id)
    return paid


async def unpaid_after(session: AsyncSession, after_id: int, limit: int) -> list[tuple[int, int]]:
    """(reward id, invitee id) of unpaid rewards of known inviters, in id order after
    ``after_id`` (a reward waiting for an inviter who never came is never read again)."""
    rows = await session.execute(
        select(ReferralReward.id, ReferralReward.invitee_id)
        .join(User, User.id == ReferralReward.inviter_id)
        .where(ReferralReward.paid_at.is_(None), ReferralReward.id > after_id)
        .order_by(ReferralReward.id)
        .limit(limit)
    )
    return [(row_id, invitee) for row_id, invitee in rows.all()]


async def invite_figures(session: AsyncSession, user_id: int) -> tuple[int, int]:
    """(friends who joined through the user's link, friends whose reward was paid)."""
    rewarded = await session.scalar(
        select(func.count())
        .select_from(ReferralReward)
        .where(ReferralReward.inviter_id == user_id, ReferralReward.paid_at.is_not(None))
    )
    return await count_invited(session, user_id), int(rewarded or 0)
