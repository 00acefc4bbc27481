"""Approved suggestions (the moderation module's ``SubmissionApproved``) become channel
posts at the next free slot, in the approving transaction, like an admin's post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.kernel import UnitOfWork, insert_ignoring, rowcount
from bot.modules.content.events import PostScheduled
from bot.modules.content.models import Post, PostStatus
from bot.modules.moderation.events import SubmissionApproved

SOURCE = "moderation"
HORIZON = 24 * 30  # slots looked at before giving up and taking the one after


def slot_start(moment: datetime, every: timedelta) -> datetime:
    """The start of the slot ``moment`` falls in (slots are aligned to the epoch)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((moment - epoch) // every) * every


async def next_free_slot(session: AsyncSession, now: datetime, every: timedelta) -> datetime:
    """The first slot after ``now`` with no waiting post in it."""
    first = slot_start(now, every) + every
    taken_at = await session.scalars(
        select(Post.publish_at).where(
            Post.status.in_((PostStatus.SCHEDULED, PostStatus.QUEUED)),
            Post.publish_at >= first,
            Post.publish_at < first + HORIZON * every,
        )
    )
    taken = {slot_start(moment, every) for moment in taken_at}
    slot = first
    while slot in taken:
        slot += every
    return slot


async def schedule_approved(
    services: Services, session: AsyncSession, event: SubmissionApproved
) -> None:
    """Queue the approved text/media once (the submission id is the feed-style item id)."""
    if event.in_direct_messages:
        return  # Telegram itself publishes posts suggested in the channel's direct messages
    now = services.clock.now()
    every = timedelta(minutes=event.slot_minutes)
    publish_at = event.publish_at or await next_free_slot(session, now, every)
    values = {
        "text": event.text,
        "photo": event.photo,
        "video": event.video,
        "publish_at": publish_at,
        "status": PostStatus.SCHEDULED,
        "source": SOURCE,
        "source_item_id": str(event.submission_id),
        "created_at": now,
    }
    result = await session.execute(insert_ignoring(session, Post).values(**values))
    if not rowcount(result):
        return
    post_id = await session.scalar(
        select(Post.id).where(
            Post.source == SOURCE, Post.source_item_id == str(event.submission_id)
        )
    )
    assert post_id is not None
    scheduled = PostScheduled(post_id, SOURCE, str(event.submission_id), publish_at)
    await UnitOfWork.of(session).publish(scheduled)
