"""Channel posts through the real bot and the sandbox: /post, /posts, /cancelpost, publish_due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.core.delivery import OutboxMessage, Priority
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.events import MessageDelivered
from bot.modules.content.events import PostPublished
from bot.modules.content.models import Post
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import CHANNEL, UNPACED, Harness, settle
from tests.helpers.chat import answer
from tests.helpers.clocks import START


async def rows(h: Harness) -> tuple[list[Post], list[OutboxMessage]]:
    async with h.services.db.session() as session:
        posts = list(await session.scalars(select(Post).order_by(Post.id)))
        queued = select(OutboxMessage).where(OutboxMessage.key.startswith("post:"))
        return posts, list(await session.scalars(queued))


async def admin_bot(factory: Callable[..., Any], clock: ManualClock) -> Harness:
    """A bot whose admin may send many commands in a row (per-chat flood limit lifted)."""
    h: Harness = await factory(clock=clock, **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    return h


async def test_post_now_is_queued_once_for_the_channel(harness_factory: Callable[..., Any]) -> None:
    """/post now queues one outbox row (key post:<id>) for CHANNEL_ID; publish_due adds nothing."""
    h = await admin_bot(harness_factory, ManualClock(START))
    await answer(h, ADMIN, "/post now Hello channel", "on its way")
    assert await h.run_job("content.publish_due") == "queued 0 posts for the channel"
    posts, queued = await rows(h)
    assert [(p.status, p.text) for p in posts] == [("queued", "Hello channel")]
    [row] = queued
    assert (row.key, row.chat_id, row.category) == (f"post:{posts[0].id}", CHANNEL, "post")
    assert row.priority == Priority.POST and row.user_id is None
    assert row.payload == {"text": "Hello channel"}


async def test_scheduled_post_waits_for_its_time(harness_factory: Callable[..., Any]) -> None:
    """A +30m post is not queued before its time and is queued once after it."""
    clock = ManualClock(START)
    h = await admin_bot(harness_factory, clock)
    await answer(h, ADMIN, "/post +30m Later news", "scheduled for")
    clock.advance(timedelta(minutes=29))
    assert await h.run_job("content.publish_due") == "queued 0 posts for the channel"
    clock.advance(timedelta(minutes=2))
    assert await h.run_job("content.publish_due") == "queued 1 post for the channel"
    assert await h.run_job("content.publish_due") == "queued 0 posts for the channel"
    posts, queued = await rows(h)
    assert [p.status for p in posts] == ["queued"] and len(queued) == 1


async def test_delivery_marks_published(harness_factory: Callable[..., Any]) -> None:
    """MessageDelivered for post:<id> stores the message id; PostPublished goes out once."""
    h = await admin_bot(harness_factory, ManualClock(START))
    await answer(h, ADMIN, "/post now Hi", "on its way")
    seen: list[PostPublished] = []

    async def record(event: PostPublished) -> None:
        seen.append(event)

    h.services.bus.subscribe(PostPublished, record)
    posts, _ = await rows(h)
    delivered = MessageDelivered(f"post:{posts[0].id}", CHANNEL, 77)
    await h.services.bus.publish(delivered)
    await h.services.bus.publish(delivered)
    posts, _ = await rows(h)
    assert (posts[0].status, posts[0].message_id) == ("published", 77)
    assert seen == [PostPublished(posts[0].id, CHANNEL, 77)]


async def test_photo_post(harness_factory: Callable[..., Any]) -> None:
    """A photo whose caption starts with /post is queued as sendPhoto with that caption."""
    h = await admin_bot(harness_factory, ManualClock(START))
    h.sandbox.world.send_photo(ADMIN, "/post now Look at this")
    await h.wait(lambda: any("on its way" in (m.text or "") for m in h.sandbox.world.to(ADMIN)))
    _, [row] = await rows(h)
    assert row.method == "sendPhoto"
    assert row.payload["caption"] == "Look at this" and row.payload["photo"].startswith("photo-")


async def test_posts_list_and_cancel(harness_factory: Callable[..., Any]) -> None:
    """/posts lists the queue; /cancelpost cancels scheduled posts, refuses others."""
    h = await admin_bot(harness_factory, ManualClock(START))
    await answer(h, ADMIN, "/post +2h First", "scheduled for")
    await answer(h, ADMIN, "/post now Second", "on its way")
    listing = await answer(h, ADMIN, "/posts", "Waiting posts")
    assert "#1" in listing and "First" in listing
    await answer(h, ADMIN, "/cancelpost 1", "is cancelled")
    await answer(h, ADMIN, "/cancelpost 2", "cannot be cancelled")
    await answer(h, ADMIN, "/cancelpost 99", "no post #99")
    await answer(h, ADMIN, "/cancelpost x", "Usage")
    assert "#1" not in await answer(h, ADMIN, "/posts", "posts")


async def test_bad_posts_store_nothing(harness_factory: Callable[..., Any]) -> None:
    """Past, empty, over-long, badly timed and non-admin posts are refused; none stored."""
    h = await admin_bot(harness_factory, ManualClock(START))
    await answer(h, ADMIN, "/post 2026-11-20T09:00 Old news", "in the past")
    await answer(h, ADMIN, "/post now", "empty")
    await answer(h, ADMIN, "/post +1h    ", "empty")
    await answer(h, ADMIN, "/post now " + "x" * 4097, "at most 4096")
    await answer(h, ADMIN, "/post someday text", "not a time")
    await answer(h, ADMIN, "/post", "Usage")
    await answer(h, 555, "/post now hi", "admins only")
    h.sandbox.world.send_photo(ADMIN, "/post now " + "y" * 1025)
    await h.wait(lambda: any("at most 1024" in (m.text or "") for m in h.sandbox.world.to(ADMIN)))
    assert await rows(h) == ([], [])


async def test_post_now_reaches_the_channel_once_across_a_restart(
    harness_factory: Callable[..., Any],
) -> None:
    """/post now -> exactly one channel message, its id stored; a restarted bot sends no more."""
    clock = ManualClock(START)
    h = await admin_bot(harness_factory, clock)
    world = h.sandbox.world
    await answer(h, ADMIN, "/post now Breaking news", "on its way")
    await h.wait(lambda: world.to(CHANNEL))
    second = await admin_bot(harness_factory, clock)  # same database, as after a restart
    assert await second.run_job("content.publish_due") == "queued 0 posts for the channel"
    await settle(second)  # every due row recorded: a (wrong) second send would be in the world
    assert [m.text for m in world.to(CHANNEL)] == ["Breaking news"]
    posts, _ = await rows(second)
    assert posts[0].status == "published" and posts[0].message_id == world.to(CHANNEL)[0].message_id


async def test_scheduled_post_reaches_the_channel_at_its_time(
    harness_factory: Callable[..., Any],
) -> None:
    """A +1h post is not in the channel before its time; after it, publish_due sends it once."""
    clock = ManualClock(START)
    h = await admin_bot(harness_factory, clock)
    world = h.sandbox.world
    await answer(h, ADMIN, "/post +1h On the hour", "scheduled for")
    assert await h.run_job("content.publish_due") == "queued 0 posts for the channel"
    await h.idle()
    assert world.to(CHANNEL) == []
    clock.advance(timedelta(minutes=61))
    assert await h.run_job("content.publish_due") == "queued 1 post for the channel"
    await h.wait(lambda: world.to(CHANNEL))
    assert [m.text for m in world.to(CHANNEL)] == ["On the hour"]
