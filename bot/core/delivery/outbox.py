"""The persistent outbox: one row per bulk message, deduplicated by key.

Rows are written in the caller's transaction, so a message exists exactly when
the fact that caused it was committed. The sender (``sender.py``) drains
pending rows in priority order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.delivery.categories import Category, optional
from bot.core.delivery.paid import PaidLane
from bot.core.delivery.policy import AllowAll, Candidate, DeliveryPolicy
from bot.core.kernel import Base, Clock, insert_ignoring, rowcount
from bot.core.people import speaking_to


class Priority:
    """Lower goes first."""

    ALERT = 0
    NOTIFICATION = 10
    MISSION = 20
    POST = 20
    REMINDER = 30
    BROADCAST = 50


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # final: 400, blocked user, or attempts exhausted
    SKIPPED = "skipped"  # the recipient became unreachable before sending


class OutboxMessage(Base):
    """One message to send; ``payload`` holds the Bot API parameters besides ``chat_id``."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "next_attempt_at", "id"),
        Index("ix_outbox_claimed_by", "claimed_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(32), default="sendMessage")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The instance holding the row (NULL: nobody) and the token of its claim; an outcome is
    # written only while its token still matches (see claims.py).
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claim_token: Mapped[str | None] = mapped_column(String(32))


@dataclass(frozen=True, slots=True)
class Queued:
    """One message of a batch for :meth:`Outbox.enqueue_many`."""

    key: str
    chat_id: int
    user_id: int | None
    category: Category
    priority: int
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


class Outbox:
    """Queues bulk messages; consults the delivery policy for user-facing categories.
    ``paid`` says which claimed rows go in Telegram's paid lane (``paid.py``)."""

    __slots__ = ("clock", "paid", "policy")

    def __init__(self, clock: Clock, policy: DeliveryPolicy | None = None) -> None:
        self.clock = clock
        self.policy: DeliveryPolicy = policy or AllowAll()
        self.paid = PaidLane()

    async def enqueue(
        self,
        session: AsyncSession,
        *,
        key: str,
        chat_id: int,
        category: Category,
        priority: int,
        text: str | Callable[[], str | None] | None = None,
        method: str = "sendMessage",
        payload: dict[str, Any] | None = None,
        user_id: int | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue one message in ``session``'s transaction; False if the key exists or the
        policy says this user does not want this category (only optional categories
        are asked: transactional ones always go, at once). A ``text`` given as a callable
        is written in the language of the chat's reader (a group's: the default one)."""
        if callable(text):
            async with speaking_to(session, chat_id):
                text = text()
        now = self.clock.now()
        if user_id is not None and optional(category):
            decision = await self.policy.decide(
                session, user_id=user_id, category=category, now=now
            )
            if not decision.send:
                return False
            if decision.not_before and (not_before is None or decision.not_before > not_before):
                not_before = decision.not_before
        body = dict(payload or {})
        if text is not None:
            body["text"] = text
        values = {
            "key": key,
            "chat_id": chat_id,
            "user_id": user_id,
            "category": category,
            "method": method,
            "payload": body,
            "priority": priority,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": max(now, not_before) if not_before else now,
            "created_at": now,
        }
        result = await session.execute(
            insert_ignoring(session, OutboxMessage, index_elements=["key"]).values(**values)
        )
        return bool(rowcount(result))

    async def enqueue_many(self, session: AsyncSession, messages: Sequence[Queued]) -> int:
        """Queue a batch with one policy review and one INSERT (existing keys are left
        alone); how many rows were written. Same rules as :meth:`enqueue`."""
        now = self.clock.now()
        asked = [
            Candidate(index, m.user_id, m.category)
            for index, m in enumerate(messages)
            if m.user_id is not None and optional(m.category)
        ]
        decisions = await self.policy.review(session, asked, now) if asked else {}
        values = []
        for index, m in enumerate(messages):
            decision = decisions.get(index)
            if decision is not None and not decision.send:
                continue
            later = decision.not_before if decision is not None else None
            values.append(
                {
                    "key": m.key,
                    "chat_id": m.chat_id,
                    "user_id": m.user_id,
                    "category": m.category,
                    "method": "sendMessage",
                    "payload": {**m.payload, "text": m.text},
                    "priority": m.priority,
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": max(now, later) if later else now,
                    "created_at": now,
                }
            )
        if not values:
            return 0
        insert = insert_ignoring(session, OutboxMessage, index_elements=["key"])
        insert = insert.returning(OutboxMessage.id)
        return len((await session.execute(insert, values)).all())  # one compiled statement
