"""Submissions (/suggest), the review cards sent for them, and banned authors."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class State(StrEnum):
    PENDING = "pending"  # waiting for a moderator
    AUTO_REJECTED = "auto_rejected"  # an automatic check refused it
    APPROVED = "approved"  # decided; the content module schedules it in the same transaction
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # the author took it back while pending
    SCHEDULED = "scheduled"  # a channel post (``post_id``) waits for its slot
    PUBLISHED = "published"  # the post is in the channel as ``message_id``


FINAL = (State.AUTO_REJECTED, State.REJECTED, State.WITHDRAWN, State.PUBLISHED)


class Submission(Base):
    """One suggested post; the text and media stored are what gets published."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_state_created_at", "state", "created_at"),
        Index("ix_submissions_author_state", "author_id", "state"),
        Index("ix_submissions_content_hash", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    author_name: Mapped[str] = mapped_column(String(128), default="")
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[str | None] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=State.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_by_name: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    post_id: Mapped[int | None] = mapped_column(Integer, index=True)
    publish_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # A post suggested in the channel's direct messages: Telegram's message there.
    dm_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    dm_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class ReviewCard(Base):
    """A card Telegram delivered for a submission, so a decision can edit it in place."""

    __tablename__ = "moderation_cards"
    __table_args__ = (
        UniqueConstraint("submission_id", "chat_id", name="uq_moderation_cards_submission_chat"),
        Index("ix_moderation_cards_chat_message", "chat_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(Integer)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)


class BannedAuthor(Base):
    """An author who may no longer suggest posts."""

    __tablename__ = "moderation_bans"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    banned_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
