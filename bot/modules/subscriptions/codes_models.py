"""The records behind free trials and promo codes: one trial per user ever, the codes an
admin defined with the uses they have left, and every redemption (one per code and user)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class VipTrial(Base):
    """A user's free trial, taken once ever: the primary key is what refuses a second."""

    __tablename__ = "vip_trials"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    days: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime]


class VipCode(Base):
    """A promo code worth ``seconds`` of VIP; ``uses_left`` only ever moves down by one in a
    conditional UPDATE, so it never goes below zero however many redeem it at once."""

    __tablename__ = "vip_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    seconds: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer)
    uses_left: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime | None]
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class VipRedemption(Base):
    """One user's redemption of one code, recorded in the transaction that used it up."""

    __tablename__ = "vip_redemptions"
    __table_args__ = (UniqueConstraint("code", "user_id", name="uq_vip_redemptions_code_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    redeemed_at: Mapped[datetime]
