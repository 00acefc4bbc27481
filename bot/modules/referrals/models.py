"""Referral rewards: one row per invited user, ever."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class ReferralReward(Base):
    """The inviter's reward for ``invitee_id``'s first completed mission.

    Recorded (``paid_at`` NULL) in the completion's transaction; paid right after, or by
    the hourly sweep if the process stopped in between.
    """

    __tablename__ = "referral_rewards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invitee_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    inviter_id: Mapped[int] = mapped_column(BigInteger, index=True)
    points: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    paid_at: Mapped[datetime | None] = mapped_column(index=True)
