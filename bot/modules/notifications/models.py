"""Per-user notification preferences; a user without a row gets everything, any time."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class NotificationPrefs(Base):
    """What a user wants to receive, and their quiet hours (local hours in ``TIMEZONE``)."""

    __tablename__ = "notification_prefs"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    missions: Mapped[bool] = mapped_column(Boolean, default=True)
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    announcements: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_start: Mapped[int | None] = mapped_column(SmallInteger)
    quiet_end: Mapped[int | None] = mapped_column(SmallInteger)
