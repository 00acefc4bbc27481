"""Channel posts: written by admins or imported from feeds, published through the outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class PostStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for publish_at
    QUEUED = "queued"  # in the outbox (key ``post:<id>``)
    PUBLISHED = "published"  # Telegram answered with message_id
    CANCELLED = "cancelled"
    SEEN = "seen"  # a feed item past FEED_MAX_NEW_PER_RUN: remembered, never posted


class Post(Base):
    """One channel post; ``(source, source_item_id)`` deduplicates feed items."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source", "source_item_id", name="uq_posts_source_item"),
        Index("ix_posts_status_publish_at", "status", "publish_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str | None] = mapped_column(String(255))
    video: Mapped[str | None] = mapped_column(String(255))  # a file_id (suggested posts)
    stars: Mapped[int | None] = mapped_column(Integer)  # a paid post's price (paid media)
    publish_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=PostStatus.SCHEDULED)
    source: Mapped[str] = mapped_column(String(100), default="admin")
    source_item_id: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class PaidMediaPurchase(Base):
    """A user bought a paid post (``purchased_paid_media``): once per (user, payload)."""

    __tablename__ = "paid_media_purchases"
    __table_args__ = (
        UniqueConstraint("user_id", "payload"),
        Index("ix_paid_media_purchases_payload", "payload"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
