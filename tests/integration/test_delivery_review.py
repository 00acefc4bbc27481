"""The send-time review of claimed outbox rows against the delivery policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import (
    AllowAll,
    Candidate,
    Decision,
    DeliveryPolicy,
    Outbox,
    OutboxMessage,
    OutboxStatus,
    Priority,
    claims,
)
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.db import Database
from tests.helpers.clocks import NOON as NOW
from tests.helpers.factories import add_message

LATER = NOW + timedelta(hours=3)


class Scripted(DeliveryPolicy):
    """Mutes user 2, holds user 3 until LATER, and records what it was asked."""

    __slots__ = ("asked",)

    def __init__(self) -> None:
        self.asked: list[list[Candidate]] = []

    async def decide(
        self, session: AsyncSession, *, user_id: int, category: str, now: datetime
    ) -> Decision:
        return Decision(send=True)

    async def review(
        self, session: AsyncSession, rows: Sequence[Candidate], now: datetime
    ) -> dict[int, Decision]:
        self.asked.append(list(rows))
        plan = {2: Decision(False), 3: Decision(True, LATER), 4: Decision(True, NOW)}
        return {row.row_id: plan[row.user_id] for row in rows if row.user_id in plan}


async def _queue(db: Database) -> None:
    outbox = Outbox(ManualClock(NOW))
    async with db.session() as session:
        for user_id in (1, 2, 3, 4):
            await add_message(session, outbox, f"a:{user_id}", user_id)
        alert, post = Priority.ALERT, Priority.POST
        await add_message(session, outbox, "alert", 2, text="!", category="alert", priority=alert)
        await add_message(session, outbox, "post", -100, text="p", category="post", priority=post)


async def _claim_and_review(db: Database, policy: DeliveryPolicy) -> list[str]:
    async with db.session() as session:
        rows = await claims.claim_due(
            session, now=NOW, limit=10, lease=timedelta(seconds=60), owner="test"
        )
        send, _, _ = await claims.review(session, policy, rows, NOW)
    return sorted(row.key for row in send)


async def test_review_mutes_and_holds_claimed_rows(db: Database) -> None:
    """Muted rows become skipped, held rows pending and unclaimed at not_before; a claim
    charges no attempt; alerts and rows without a user are never asked about."""
    await _queue(db)
    policy = Scripted()
    assert await _claim_and_review(db, policy) == ["a:1", "a:4", "alert", "post"]
    assert [sorted(c.user_id for c in batch) for batch in policy.asked] == [[1, 2, 3, 4]]
    assert {c.category for c in policy.asked[0]} == {"announcement"}
    async with db.session() as session:
        rows = {r.key: r for r in (await session.scalars(select(OutboxMessage))).all()}
    assert rows["a:2"].status == OutboxStatus.SKIPPED
    assert rows["a:2"].last_error == "muted by preferences"
    held = rows["a:3"]
    assert (held.status, held.attempts, held.next_attempt_at) == (OutboxStatus.PENDING, 0, LATER)
    assert (held.claimed_by, held.claim_token) == (None, None)
    assert (rows["a:1"].attempts, rows["a:1"].claimed_by) == (0, "test")


async def test_allow_all_sends_everything(db: Database) -> None:
    """The default policy leaves every claimed row to be sent."""
    await _queue(db)
    assert await _claim_and_review(db, AllowAll()) == ["a:1", "a:2", "a:3", "a:4", "alert", "post"]
