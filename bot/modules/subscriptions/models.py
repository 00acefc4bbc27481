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
    when the end moves); ``removed_at`` records that Telegram confirmed an ended
    subscriber out of the VIP chat (until then a :class:`VipRemoval` is owed);
    ``checked_at`` when the membership check last asked Telegram whether they are back.
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
    checked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ChargeState(StrEnum):
    """Where a Stars charge is: stored on arrival, granted once, or refunded."""

    RECEIVED = "received"  # stored, access not granted yet (settle_payments retries)
    GRANTED = "granted"
    UNUSABLE = "unusable"  # its payload names nothing to grant; the admins were told
    REFUNDED = "refunded"


class RemovalReason(StrEnum):
    """Why someone is owed a removal from the VIP chat."""

    ENDED = "ended"  # their subscription ended (expired, revoked or refunded)
    INTRUDER = "intruder"  # they appeared in the chat without a subscription
    STILL_IN = "still_in"  # the membership check found an ended subscriber inside


class VipRemoval(Base):
    """A removal from the VIP chat that Telegram has not confirmed yet, one per user.

    Deleted once Telegram confirms the user out (ban and unban answered, or
    ``getChatMember`` says they left); until then retried at ``due_at``, with
    ``attempts`` and the ``last_error`` Telegram gave (the admins are told after a few).
    """

    __tablename__ = "vip_removals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    reason: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]


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
    ``created_at`` is when it was received; ``days`` is what it bought (0 if unusable);
    ``period_ends_at`` the subscription's end just after its grant, so the period it bought
    is the ``days`` before that (moved earlier when an earlier charge is refunded).
    """

    __tablename__ = "vip_star_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    charge_id: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    days: Mapped[int] = mapped_column(Integer)
    stars: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    # The server defaults are those migration 0010 gave the rows before it (a database
    # created from the models has the same); every insert of the bot sets these columns.
    currency: Mapped[str] = mapped_column(String(8), server_default="XTR")
    payload: Mapped[str] = mapped_column(String(255), server_default="")
    state: Mapped[str] = mapped_column(
        String(16), index=True, default=ChargeState.RECEIVED, server_default="granted"
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))
    granted_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    period_ends_at: Mapped[datetime | None]
    # A renewing subscription's charge: the end of the period it pays for (Telegram's
    # ``subscription_expiration_date``); its grant extends access to exactly that.
    subscription_expires_at: Mapped[datetime | None]


class StarSubscriptionState(StrEnum):
    """Whether Telegram renews a Stars subscription at the end of its period."""

    ACTIVE = "active"
    CANCELED = "canceled"


class StarSubscription(Base):
    """A user's renewing Stars subscription (``createInvoiceLink`` with
    ``subscription_period``), one per user: the charge that started it (the id
    ``editUserStarSubscription`` takes), the last charge, the paid period's end and
    whether Telegram will renew it; ``state`` changes only after Telegram accepted it."""

    __tablename__ = "vip_star_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_charge_id: Mapped[str] = mapped_column(String(255))
    last_charge_id: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default=StarSubscriptionState.ACTIVE)
    stars: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]
