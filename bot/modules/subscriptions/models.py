"""Subscriptions (one row per user, extended in place) and the VIP invite links issued."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Subscription(Base):
    """A user's access to the VIP chat until ``ends_at``.

    ``reminded_*_at`` record which reminders went out for the current end time (reset
    when the end moves); ``removed_at`` records that an ended subscriber was removed
    from the VIP chat, so a failed removal is retried by the next expire run.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_status_ends_at", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=SubscriptionStatus.ACTIVE)
    reminded_3d_at: Mapped[datetime | None]
    reminded_1d_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ChargeState(StrEnum):
    """Where a Stars charge is: stored on arrival, granted once, or refunded."""

    RECEIVED = "received"  # stored, access not granted yet (settle_payments retries)
    GRANTED = "granted"
    UNUSABLE = "unusable"  # its payload names nothing to grant; the admins were told
    REFUNDED = "refunded"


class InviteLink(Base):
    """A personal invite link to the VIP chat: the join requests it brings are approved
    only for ``user_id``; ``revoked_at`` records that Telegram was told to end it."""

    __tablename__ = "vip_invite_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    link: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class StarPayment(Base):
    """A Telegram Stars charge for VIP, once per ``telegram_payment_charge_id``.

    Stored in its own transaction the moment it arrives (Telegram never delivers it
    again), before anything is granted; ``state`` moves to ``granted`` in the grant's own
    transaction, so a charge is granted exactly once however often the grant is retried.
    ``created_at`` is when it was received; ``days`` is what it bought (0 if unusable).
    """

    __tablename__ = "vip_star_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    charge_id: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    days: Mapped[int] = mapped_column(Integer)
    stars: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(8))
    payload: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), index=True, default=ChargeState.RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    granted_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
