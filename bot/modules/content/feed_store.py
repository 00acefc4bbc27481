"""What a feed import writes, in transactions short enough that nobody waits behind them.

A feed document is capped (``FEED_MAX_ITEMS``) before it gets here; that is still hundreds
of rows. They are written ``CHUNK`` at a time, one multi-row ``INSERT ... ON CONFLICT`` per
chunk and each chunk its own transaction: on SQLite a write holds the database's one
lock, so a user's write (a Stars payment) waits for one chunk, never for the whole import.

The order survives a crash between chunks: the older items are recorded seen first and
the newest queued as posts last, so an import cut short leaves items seen and nothing
else; the next run queues the same newest items, never older ones in their place.

A seen row's ``publish_at`` is when its item was last in the document (every import
refreshes it): retention (``FEED_SEEN_DAYS``) forgets an item only once its feed has
stopped listing it for that long, so an old item still listed never comes back as new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import Database, Purger, PurgeRequest, delete_in_batches, dialect_insert
from bot.modules.content.models import Post, PostStatus
from bot.modules.content.service import add_feed_item

CHUNK = 200  # rows per transaction: a few milliseconds of the write lock
_ID_BATCH = 500  # item ids per IN (...) query, well inside SQLite's parameter limit


@dataclass(frozen=True, slots=True)
class FeedImport:
    """What one import of a feed did: items queued as posts, older new items marked seen."""

    queued: int
    seen: int


async def import_feed_items(
    db: Database,
    *,
    source: str,
    items: Sequence[tuple[str, str]],
    cap: int,
    now: datetime,
) -> FeedImport:
    """Queue the newest ``cap`` unseen ``(item_id, text)`` (given newest first) as posts.

    The other items are recorded (or refreshed) as seen, so a first import of a 500-item
    feed posts 5, not 500, and they never come back. The queued ones get ids oldest
    first, so the channel shows them in the feed's order.
    """
    async with db.session() as session:
        unseen = await _unseen(session, source, items)
    fresh, older = unseen[:cap], unseen[cap:]
    queue = {item_id for item_id, _text in fresh}
    seen = [item_id for item_id in dict.fromkeys(i for i, _t in items) if item_id not in queue]
    for start in range(0, len(seen), CHUNK):
        async with db.session() as session:
            await _mark_seen(session, source, seen[start : start + CHUNK], now)
    queued = 0
    async with db.session() as session:
        for item_id, text in reversed(fresh):
            queued += await add_feed_item(
                session, source=source, item_id=item_id, text=text, now=now
            )
    return FeedImport(queued, len(older))


async def _unseen(
    session: AsyncSession, source: str, items: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """``items`` without those imported before (and without repeats), in their order."""
    first: dict[str, str] = {}
    for item_id, text in items:
        first.setdefault(item_id, text)
    ids, known = list(first), set[str]()
    for start in range(0, len(ids), _ID_BATCH):
        query = select(Post.source_item_id).where(
            Post.source == source, Post.source_item_id.in_(ids[start : start + _ID_BATCH])
        )
        known.update(str(found) for found in await session.scalars(query))
    return [(item_id, text) for item_id, text in first.items() if item_id not in known]


async def _mark_seen(
    session: AsyncSession, source: str, item_ids: Sequence[str], now: datetime
) -> None:
    """One statement: new ids become seen rows, seen rows are refreshed, others untouched."""
    rows = [
        {
            "text": "",
            "publish_at": now,
            "status": PostStatus.SEEN,
            "source": source,
            "source_item_id": item_id,
            "created_at": now,
        }
        for item_id in item_ids
    ]
    insert = dialect_insert(session, Post)
    await session.execute(
        insert.values(rows).on_conflict_do_update(
            index_elements=["source", "source_item_id"],
            set_={"publish_at": insert.excluded.publish_at},
            where=Post.status == PostStatus.SEEN,
        )
    )


def seen_purger(days: int) -> Purger:
    """Seen items not in their feed for ``days`` go (``cleanup.daily``), in short batches."""

    async def purge(request: PurgeRequest) -> int:
        purged = await delete_in_batches(
            request.db,
            Post.id,
            Post.status == PostStatus.SEEN,
            Post.publish_at < request.now - timedelta(days=days),
            batch_size=request.batch_size,
        )
        return purged.rows

    return purge
