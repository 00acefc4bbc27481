"""Claiming due outbox rows and recording what became of them, in batches.

A claim is one ``UPDATE ... WHERE id IN (SELECT ... ORDER BY priority,
next_attempt_at, id LIMIT n) RETURNING ...``: it takes the next rows of the
due index (a keyset read: never more than ``n`` rows in memory) and leases them
by moving ``next_attempt_at`` forward. A process that dies mid-send leaves its
rows leased; they fall due again when the lease ends and are sent then, so only
the few in flight can be doubled and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery.outbox import OutboxMessage, OutboxStatus
from bot.core.delivery.policy import ALWAYS, Candidate, DeliveryPolicy
from bot.core.users import User

MUTED = "muted by preferences"


@dataclass(frozen=True, slots=True)
class Claimed:
    """One leased row, detached from any session."""

    id: int
    key: str
    chat_id: int
    user_id: int | None
    method: str
    payload: dict[str, Any]
    attempts: int
    category: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to a claimed row; ``retry_at`` set means: pending again."""

    row: Claimed
    status: OutboxStatus
    chat_id: int
    at: datetime
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    """Lease up to ``limit`` due rows in (priority, next_attempt_at, id) order."""
    o = OutboxMessage
    due = (
        select(o.id)
        .where(o.status == OutboxStatus.PENDING, o.next_attempt_at <= now)
        .order_by(o.priority, o.next_attempt_at, o.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name != "sqlite":
        due = due.with_for_update(skip_locked=True)
    claim = (
        update(o)
        .where(o.id.in_(due.scalar_subquery()))
        .values(attempts=o.attempts + 1, next_attempt_at=now + lease)
        .returning(
            o.id,
            o.key,
            o.chat_id,
            o.user_id,
            o.method,
            o.payload,
            o.attempts,
            o.priority,
            o.category,
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(claim)).all()
    rows = sorted(rows, key=lambda r: (r.priority, r.id))
    return [
        Claimed(r.id, r.key, r.chat_id, r.user_id, r.method, r.payload, r.attempts, r.category)
        for r in rows
    ]


async def review(
    session: AsyncSession, policy: DeliveryPolicy, rows: list[Claimed], now: datetime
) -> tuple[list[Claimed], int, int]:
    """Ask ``policy`` about the claimed rows once, at send time; return those to send now.

    Refused rows become skipped ("muted by preferences"); rows the policy holds go back
    to pending, due at ``not_before``, with the claim's attempt given back. Rows without
    a user and categories in :data:`ALWAYS` are not asked about. Returns the rows to
    send, and how many were muted and held.
    """
    candidates = [
        Candidate(row.id, row.user_id, row.category)
        for row in rows
        if row.user_id is not None and row.category not in ALWAYS
    ]
    if not candidates:
        return rows, 0, 0
    decisions = await policy.review(session, candidates, now)
    muted = [row_id for row_id, d in decisions.items() if not d.send]
    held = {
        row_id: d.not_before
        for row_id, d in decisions.items()
        if d.send and d.not_before is not None and d.not_before > now
    }
    o = OutboxMessage
    if muted:
        await session.execute(
            update(o)
            .where(o.id.in_(muted))
            .values(status=OutboxStatus.SKIPPED, last_error=MUTED)
            .execution_options(synchronize_session=False)
        )
    if held:
        attempts = {row.id: row.attempts for row in rows}
        values = [
            {"id": row_id, "next_attempt_at": at, "attempts": attempts[row_id] - 1}
            for row_id, at in held.items()
        ]
        await session.execute(update(o), values)
    muted_ids = set(muted)
    send = [row for row in rows if row.id not in muted_ids and row.id not in held]
    return send, len(muted_ids), len(held)


async def unreachable_among(session: AsyncSession, user_ids: set[int]) -> set[int]:
    """Which of ``user_ids`` are marked unreachable."""
    if not user_ids:
        return set()
    query = select(User.id).where(User.id.in_(user_ids), User.reachable.is_(False))
    return set((await session.scalars(query)).all())


async def record(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """Write every outcome in one statement (an executemany by primary key)."""
    if not outcomes:
        return
    values = [
        {
            "id": out.row.id,
            "status": out.status,
            "chat_id": out.chat_id,
            "message_id": out.message_id,
            "last_error": out.error,
            "sent_at": out.at if out.status == OutboxStatus.SENT else None,
            "next_attempt_at": out.retry_at or out.at,
        }
        for out in outcomes
    ]
    await session.execute(update(OutboxMessage), values)


async def skip_pending_for_chat(session: AsyncSession, chat_id: int, reason: str) -> int:
    """Mark every pending row to ``chat_id`` skipped (its user blocked the bot)."""
    o = OutboxMessage
    result = await session.execute(
        update(o)
        .where(o.chat_id == chat_id, o.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SKIPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> int:
    """Point pending rows of a migrated group at its new id."""
    o = OutboxMessage
    result = await session.execute(
        update(o)
        .where(o.chat_id == old_chat_id, o.status == OutboxStatus.PENDING)
        .values(chat_id=new_chat_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


async def pending_count(session: AsyncSession) -> int:
    o = OutboxMessage
    query = select(func.count()).select_from(o).where(o.status == OutboxStatus.PENDING)
    return int(await session.scalar(query) or 0)
