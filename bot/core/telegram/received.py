"""The ``update_id`` of every update a webhook replica took, so each is handled once.

Telegram retries a webhook call that got no 2xx in time, and a load balancer may hand
one update to two replicas: the first to insert the id handles the update, the others
drop it. Rows older than a day are purged by ``cleanup.daily`` (Telegram gives up on
an update long before that).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import (
    Base,
    Database,
    PurgeRequest,
    delete_in_batches,
    insert_missing,
)

KEEP = timedelta(days=1)


class ReceivedUpdate(Base):
    """One update this cluster has taken."""

    __tablename__ = "received_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(index=True)


async def first_time(db: Database, update_id: int, now: datetime) -> bool:
    """Record ``update_id``; True only for the first process (and the first time) to see it."""
    async with db.session() as session:
        return await insert_missing(session, ReceivedUpdate, update_id=update_id, received_at=now)


async def purge_received(request: PurgeRequest) -> int:
    """Forget update ids older than :data:`KEEP`, in batches."""
    purged = await delete_in_batches(
        request.db,
        ReceivedUpdate.update_id,
        ReceivedUpdate.received_at <= request.now - KEEP,
        batch_size=request.batch_size,
    )
    return purged.rows
