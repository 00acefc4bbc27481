"""The points ledger and the stored balances it is reconciled with."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class LedgerEntry(Base):
    """One change of points; never updated or deleted. The unique key makes awards idempotent."""

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("user_id", "reason", "reference"),
        Index("ix_transactions_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Balance(Base):
    """A user's points (the sum of their ledger rows) and the streak shown by /balance.

    ``streak``/``streak_day`` mirror the missions module's streak as last announced by
    ``MissionCompleted``/``MissionMissed``, written in the same transaction as those facts.
    """

    __tablename__ = "balances"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    points: Mapped[int] = mapped_column(Integer, default=0)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    streak_day: Mapped[date | None] = mapped_column(Date)


class StreakGift(Base):
    """A Telegram gift for one (user, streak milestone): the unique row is the claim.

    ``status``: ``pending`` (claimed, not yet paid for), ``sending`` (counted against the
    month's budget, the call under way), ``sent``, or ``over_budget`` (never sent).
    ``month`` (``YYYY-MM``) and ``star_count`` are set when the budget admits the gift.
    """

    __tablename__ = "streak_gifts"
    __table_args__ = (
        UniqueConstraint("user_id", "milestone"),
        Index("ix_streak_gifts_status", "status"),
        Index("ix_streak_gifts_month", "month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    milestone: Mapped[int] = mapped_column(Integer)
    gift_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    month: Mapped[str | None] = mapped_column(String(7))
    star_count: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
