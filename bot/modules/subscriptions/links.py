"""The VIP invite links on record: whose each one is, and which must still be revoked.

A link is made for one subscriber (``creates_join_request=True``), so whoever uses it
only asks to join; the bot approves the request only for that subscriber. Links of
users without an active subscription are revoked at Telegram and marked here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.modules.subscriptions.models import InviteLink, Subscription, SubscriptionStatus


async def owner(session: AsyncSession, link: str) -> InviteLink | None:
    """The record of ``link``, or None for a link the bot did not make."""
    return await session.scalar(select(InviteLink).where(InviteLink.link == link))


def usable_by(record: InviteLink | None, user_id: int, now: datetime) -> bool:
    """Whether ``record`` is a live link made for ``user_id``."""
    return (
        record is not None
        and record.user_id == user_id
        and record.revoked_at is None
        and record.expires_at > now
    )


async def to_revoke(
    session: AsyncSession, now: datetime, limit: int, user_id: int | None = None
) -> Sequence[tuple[str, int]]:
    """Live links (not revoked, not expired) whose user has no running subscription."""
    running = exists().where(
        Subscription.user_id == InviteLink.user_id,
        Subscription.status == SubscriptionStatus.ACTIVE,
        Subscription.ends_at > now,
    )
    query = select(InviteLink.link, InviteLink.user_id).where(
        InviteLink.revoked_at.is_(None), InviteLink.expires_at > now, ~running
    )
    if user_id is not None:
        query = query.where(InviteLink.user_id == user_id)
    rows = await session.execute(query.order_by(InviteLink.id).limit(limit))
    return [(link, owner_id) for link, owner_id in rows.all()]


async def mark_revoked(session: AsyncSession, link: str, now: datetime) -> None:
    await session.execute(
        update(InviteLink)
        .where(InviteLink.link == link, InviteLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
