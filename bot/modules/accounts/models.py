"""Tables of the accounts module: the tags admins set on users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class UserTag(Base):
    """One tag on one user (``/tag``), for audiences: ``tag:beta``."""

    __tablename__ = "user_tags"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    created_at: Mapped[datetime]
