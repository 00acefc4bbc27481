"""Who holds which outbox rows: renewing, giving back and taking over leases.

A claimed row carries its owner (an instance id, see ``bot/core/cluster/instances.py``) and a
lease (``next_attempt_at`` in the future). The owner renews the lease of every row it
still holds at each heartbeat, however long the rate limiter keeps a row waiting. Rows
whose owner is gone (its heartbeat stale, or its instance row deleted) are released at
once: unclaimed, due when they were queued (so in their place in line), their attempts
untouched.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.cluster import InstanceRow, instances
from bot.core.delivery.claims import UNCLAIMED, update_rows
from bot.core.delivery.outbox import OutboxMessage, OutboxStatus


async def release_stale(session: AsyncSession, *, keep: str, stale_seconds: float) -> int:
    """Forget instances whose heartbeat is stale and release every row held by an
    instance that is no longer registered; how many rows were released. Runs a write
    first, so on SQLite the transaction holds the write lock from here on.

    A released row keeps its place in line: its claim overwrote its due time with the
    lease, and a dead process took the one it had before with it, so it is due again when
    it was queued (``created_at``, never later than that due time: a row is claimed only
    once it is due). "Due now" would put the users a killed replica held behind every row
    queued since, a whole broadcast's."""
    await instances.forget_stale(session, stale_seconds, keep=keep)
    o = OutboxMessage
    return await update_rows(
        session,
        # No condition on status: that would make SQLite scan every pending row by the
        # due index instead of the few claimed ones by ix_outbox_claimed_by.
        o.claimed_by.is_not(None),
        o.claimed_by.not_in(select(InstanceRow.id)),
        next_attempt_at=case(
            (o.status == OutboxStatus.PENDING, o.created_at), else_=o.next_attempt_at
        ),
        **UNCLAIMED,
    )


async def renew(session: AsyncSession, owner: str, until: datetime) -> int:
    """Extend the lease of every pending row ``owner`` holds to ``until``."""
    return await update_rows(session, *_held_by(owner), next_attempt_at=until)


async def give_back(
    session: AsyncSession, owner: str, now: datetime, ids: Collection[int] | None = None
) -> int:
    """Release rows ``owner`` holds (all of them, or ``ids``): due now, attempts untouched."""
    where = _held_by(owner)
    if ids is not None:
        if not ids:
            return 0
        where.append(OutboxMessage.id.in_(list(ids)))
    return await update_rows(session, *where, next_attempt_at=now, **UNCLAIMED)


def _held_by(owner: str) -> list[Any]:
    """The conditions of the pending rows ``owner`` holds."""
    o = OutboxMessage
    return [o.claimed_by == owner, o.status == OutboxStatus.PENDING]
