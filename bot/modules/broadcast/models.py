"""One row per admin announcement; its messages are outbox rows keyed ``broadcast:<id>:<user>``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    total: Mapped[int] = mapped_column(Integer, default=0)
    # The tally once nothing is waiting, paused or with the sender any more (it cannot change
    # then): listing broadcasts counts the outbox rows of running ones only.
    final: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
