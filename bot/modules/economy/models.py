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
