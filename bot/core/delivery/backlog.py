"""How much the outbox still has to send: read by /stats, monitoring and /metrics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery.outbox import OutboxMessage, OutboxStatus


async def pending_count(session: AsyncSession, *, due_before: datetime | None = None) -> int:
    """Pending rows; with ``due_before``, only those due (and so waiting) since before it."""
    query = select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
    if due_before is not None:
        query = query.where(OutboxMessage.next_attempt_at < due_before)
    return int(await session.scalar(query) or 0)
