"""The corrected texts of a broadcast (``undo.py``): version 1 is the first edit after sending,
each later edit the next number. The copies' edits are outbox rows keyed
``broadcast-edit:<id>:<version>:<user>``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class BroadcastEdit(Base):
    __tablename__ = "broadcast_edits"

    broadcast_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(BigInteger)
