"""Channel post rules: when a post goes out, what it may contain, and queueing it once.

A due post is moved into the outbox (key ``post:<id>``) in the same transaction that
marks it queued, so it is published once even if the process dies right after the
send: the outbox key cannot be queued twice, and the sender resumes pending rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import Category, Outbox, Priority
from bot.core.kernel import MessageKind, ascii_int, insert_ignoring, rowcount
from bot.core.people import N_, _
from bot.modules.content.models import PaidMediaPurchase, Post, PostStatus

MAX_TEXT, MAX_CAPTION = 4096, 1024
MAX_AHEAD = timedelta(days=366)
MAX_STARS = 10_000  # Telegram's bound on a paid media's price
PAID = "paid:"
_RELATIVE = re.compile(r"\+([0-9]{1,6})([mhd])")  # ASCII digits: int('²') raises
_NOT_A_TIME = N_("{text!r} is not a time: use now, +30m, +2h, +1d or 2026-12-01T09:00")
_UNITS = {"m": 60, "h": 3600, "d": 86400}


class PostError(ValueError):
    """A post that cannot be scheduled; the message is shown to the admin."""


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """``now``, ``+30m``/``+2h``/``+1d`` or a local ``2026-12-01T09:00`` -> aware UTC instant.

    Anything else, the past and more than a year ahead raise :class:`PostError`.
    """
    text = text.strip()
    if text.lower() == "now":
        return now
    if match := _RELATIVE.fullmatch(text.lower()):
        amount = int(match.group(1)) * _UNITS[match.group(2)]
        if amount <= 0:
            raise PostError(_("the delay must be positive, e.g. +30m"))
        when = now + timedelta(seconds=amount)
    else:
        when = _local_instant(text, now, tz)
        if when <= now:
            raise PostError(_("{text} ({zone}) is in the past").format(text=text, zone=tz.key))
    if when - now > MAX_AHEAD:
        raise PostError(_("that is more than a year ahead; that looks like a typo"))
    return when


def _local_instant(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A local ``YYYY-MM-DDTHH:MM`` in ``tz`` as an instant in ``now``'s zone."""
    if not text.isascii():  # strptime reads '٢٠٢٦' as 2026
        raise PostError(_(_NOT_A_TIME).format(text=text))
    try:
        naive = datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise PostError(_(_NOT_A_TIME).format(text=text)) from None
    try:
        return naive.replace(tzinfo=tz).astimezone(now.tzinfo)
    except OverflowError:  # 0001-01-01T00:00 in Europe/Berlin is before year 1 in UTC
        raise PostError(
            _("{text} ({zone}) is out of range").format(text=text, zone=tz.key)
        ) from None


def check_body(text: str, *, photo: bool) -> str:
    """The post text, or :class:`PostError` if it is empty or too long for Telegram."""
    text = text.strip()
    limit = MAX_CAPTION if photo else MAX_TEXT
    if not text and not photo:
        raise PostError(_("the post is empty"))
    if len(text) > limit:
        if photo:
            too_long = _("the text has {length} characters; a photo caption holds at most {limit}")
        else:
            too_long = _("the text has {length} characters; a message holds at most {limit}")
        raise PostError(too_long.format(length=len(text), limit=limit))
    return text


def paid_price(body: str) -> tuple[int | None, str]:
    """``paid:<stars> <text>`` -> (stars, text); a body without ``paid:`` -> (None, body).
    A bad price raises :class:`PostError`."""
    if not body.startswith(PAID):
        return None, body
    price_text, *rest = body[len(PAID) :].split(None, 1) or [""]
    stars = ascii_int(price_text, 1, MAX_STARS)
    if stars is None:
        raise PostError(_("a paid post costs 1 to {max} Stars, e.g. paid:50").format(max=MAX_STARS))
    return stars, rest[0] if rest else ""


async def create(
    session: AsyncSession,
    *,
    text: str,
    photo: str | None,
    publish_at: datetime,
    now: datetime,
    stars: int | None = None,
) -> Post:
    post = Post(
        text=text,
        photo=photo,
        stars=stars,
        publish_at=publish_at,
        status=PostStatus.SCHEDULED,
        source="admin",
        created_at=now,
    )
    session.add(post)
    await session.flush()
    return post


async def queue(outbox: Outbox, session: AsyncSession, post: Post, channel_id: int) -> bool:
    """Mark ``post`` queued and put it in the outbox, in the caller's transaction."""
    result = await session.execute(
        update(Post)
        .where(Post.id == post.id, Post.status == PostStatus.SCHEDULED)
        .values(status=PostStatus.QUEUED)
    )
    if not rowcount(result):
        return False
    method, payload = _message(post)
    await outbox.enqueue(
        session,
        key=MessageKind.POST.key(post.id),  # its delivery is followed (MessageDelivered)
        chat_id=channel_id,
        category=Category.POST,
        priority=Priority.POST,
        method=method,
        payload=payload,
    )
    return True


def _message(post: Post) -> tuple[str, dict[str, Any]]:
    if post.stars and (post.photo or post.video):
        kind, file = ("video", post.video) if post.video else ("photo", post.photo)
        paid: dict[str, Any] = {
            "star_count": post.stars,
            "media": [{"type": kind, "media": file}],
            "payload": payload_of(post.id),
        }
        if post.text:
            paid["caption"] = post.text
        return "sendPaidMedia", paid
    if post.video:
        return "sendVideo", {"video": post.video, "caption": post.text}
    if post.photo:
        body: dict[str, Any] = {"photo": post.photo}
        if post.text:
            body["caption"] = post.text
        return "sendPhoto", body
    return "sendMessage", {"text": post.text}


async def due(session: AsyncSession, now: datetime, limit: int) -> Sequence[Post]:
    query = (
        select(Post)
        .where(Post.status == PostStatus.SCHEDULED, Post.publish_at <= now)
        .order_by(Post.publish_at, Post.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def mark_published(session: AsyncSession, post_id: int, message_id: int) -> bool:
    result = await session.execute(
        update(Post)
        .where(Post.id == post_id, Post.status == PostStatus.QUEUED)
        .values(status=PostStatus.PUBLISHED, message_id=message_id)
    )
    return bool(rowcount(result))


async def cancel(session: AsyncSession, post_id: int) -> Post | None:
    """Cancel a scheduled post; returns the post as it is (None if it does not exist)."""
    await session.execute(
        update(Post)
        .where(Post.id == post_id, Post.status == PostStatus.SCHEDULED)
        .values(status=PostStatus.CANCELLED)
    )
    return await session.get(Post, post_id, populate_existing=True)


async def pending(session: AsyncSession, limit: int = 30) -> Sequence[Post]:
    query = (
        select(Post)
        .where(Post.status.in_((PostStatus.SCHEDULED, PostStatus.QUEUED)))
        .order_by(Post.publish_at, Post.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def add_feed_item(
    session: AsyncSession, *, source: str, item_id: str, text: str, now: datetime
) -> bool:
    """Queue a feed item as a scheduled post unless it was imported before; True if new."""
    values = {
        "text": text,
        "photo": None,
        "publish_at": now,
        "status": PostStatus.SCHEDULED,
        "source": source,
        "source_item_id": item_id,
        "created_at": now,
    }
    result = await session.execute(insert_ignoring(session, Post).values(**values))
    return bool(rowcount(result))


def payload_of(post_id: int) -> str:
    """The paid media payload of a post: what ``purchased_paid_media`` names it by."""
    return f"post:{post_id}"


async def record_purchase(
    session: AsyncSession, *, user_id: int, payload: str, now: datetime
) -> bool:
    """Store a purchase once per (user, payload); True if it was new."""
    row = {"user_id": user_id, "payload": payload[:128], "created_at": now}
    result = await session.execute(insert_ignoring(session, PaidMediaPurchase).values(**row))
    return bool(rowcount(result))


async def paid_posts(session: AsyncSession, limit: int = 10) -> list[tuple[Post, int]]:
    """The latest paid posts with the number of their purchases."""
    posts = (
        await session.scalars(
            select(Post).where(Post.stars.is_not(None)).order_by(Post.id.desc()).limit(limit)
        )
    ).all()
    payloads = [payload_of(post.id) for post in posts]
    counted = await session.execute(
        select(PaidMediaPurchase.payload, func.count())
        .where(PaidMediaPurchase.payload.in_(payloads))
        .group_by(PaidMediaPurchase.payload)
    )
    counts: dict[str, int] = {payload: count for payload, count in counted.all()}
    return [(post, counts.get(payload_of(post.id), 0)) for post in posts]


async def set_price(session: AsyncSession, post_id: int, stars: int) -> Post | None:
    """Make a scheduled post with a photo or video paid (``stars``); the post as it is."""
    await session.execute(
        update(Post)
        .where(Post.id == post_id, Post.status == PostStatus.SCHEDULED)
        .where((Post.photo.is_not(None)) | (Post.video.is_not(None)))
        .values(stars=stars)
    )
    return await session.get(Post, post_id, populate_existing=True)
