"""A broadcast's paid lane: the Stars budget an admin confirmed for it (``paid.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class BroadcastPaid(Base):
    """``cap_stars`` confirmed by ``confirmed_by``; ``spent_millistars`` counts 100 (0.1 Star)
    for every copy handed to the sender with ``allow_paid_broadcast``, never beyond the cap.
    ``state``: active (copies go paid), spent (the cap is reached: the rest go free), refused
    (Telegram said the bot's balance is too low: the rest go free)."""

    __tablename__ = "broadcast_paid"

    broadcast_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cap_stars: Mapped[int] = mapped_column(Integer)
    spent_millistars: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]
    confirmed_by: Mapped[int] = mapped_column(BigInteger)
