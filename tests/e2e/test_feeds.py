"""content.import_feed against feeds served on loopback by aiohttp: backup, dedup, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.core.kernel.clock import Clock, ManualClock
from bot.modules.content.feeds import FeedError
from bot.modules.content.models import Post
from bot.modules.content.settings import ContentSettings, FeedSource
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.chat import answer
from tests.helpers.feeds import ATOM, JSON_FEED, LOOPBACK, RSS
from tests.helpers.servers import serve_http


class FeedServer:
    """Serves ``routes[path] = (status, body)``; ``/slow`` answers only when the server stops."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.hits: list[str] = []
        self.base = ""
        self.stopping = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        if request.path == "/slow":
            await self.stopping.wait()
        status, body = self.routes.get(request.path, (404, b"not found"))
        return web.Response(status=status, body=body)


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    async with serve_http(server.handle) as server.base:
        yield server
        server.stopping.set()


async def importer(
    factory: Callable[..., Any], feeds: list[dict[str, Any]], clock: Clock | None = None
) -> Harness:
    """A bot with these feeds whose schedule does not import by itself (no start-up catch-up):
    each test runs the import when it wants. Replies are not paced (flood control is
    tested elsewhere): an admin's /runjob answers come in a row."""
    jobs = {"content.import_feed": {"enabled": False}}
    h: Harness = await factory(
        clock=clock, feeds=feeds, feed_timeout_seconds=0.5, jobs=jobs, **LOOPBACK, **UNPACED
    )
    h.sandbox.set_limits(FloodLimits(private=None))
    return h


async def run(h: Harness) -> str | None:
    return await h.run_job("content.import_feed")


async def posts(h: Harness) -> list[Post]:
    async with h.services.db.session() as session:
        return list(await session.scalars(select(Post).order_by(Post.id)))


async def test_failing_primary_uses_backup(
    harness_factory: Callable[..., Any], feeds: FeedServer
) -> None:
    """A 500 from the primary falls back to the backup; the summary says so; items become posts."""
    feeds.routes = {"/main": (500, b"oops"), "/mirror": (200, RSS)}
    feed = {"name": "news", "url": f"{feeds.base}/main", "backup_url": f"{feeds.base}/mirror"}
    h = await importer(harness_factory, [feed])
    summary = await run(h)
    assert summary == "news: backup (primary HTTP 500), 2 new of 2"
    stored = await posts(h)
    assert [(p.source, p.source_item_id, p.status) for p in stored] == [
        ("feed:news", "http://x/2", "scheduled"),  # the feed lists newest first: oldest posts first
        ("feed:news", "g1", "scheduled"),
    ]
    assert stored[1].text == "One\n\nhttp://x/1"


async def test_second_import_adds_nothing_new(
    harness_factory: Callable[..., Any], feeds: FeedServer
) -> None:
    """Items already imported (same guid/id) are not queued again; several formats at once."""
    feeds.routes = {"/a": (200, ATOM), "/j": (200, JSON_FEED)}
    atom, json = f"{feeds.base}/a", f"{feeds.base}/j"
    h = await importer(
        harness_factory, [{"name": "atom", "url": atom}, {"name": "json", "url": json}]
    )
    assert await run(h) == "atom: primary, 1 new of 1; json: primary, 1 new of 1"
    assert await run(h) == "atom: primary, 0 new of 1; json: primary, 0 new of 1"
    assert len(await posts(h)) == 2


async def test_malformed_and_unreachable_fail_clearly(
    harness_factory: Callable[..., Any], feeds: FeedServer
) -> None:
    """Malformed primary, unreachable backup: the job fails naming both; others import."""
    feeds.routes = {"/bad": (200, b"<rss><channel>"), "/ok": (200, RSS)}
    h = await importer(
        harness_factory,
        [
            {"name": "broken", "url": f"{feeds.base}/bad", "backup_url": "http://127.0.0.1:9/feed"},
            {"name": "fine", "url": f"{feeds.base}/ok"},
        ],
    )
    with pytest.raises(FeedError) as failure:
        await run(h)
    message = str(failure.value)
    assert "broken: primary malformed XML" in message and "backup unreachable" in message
    assert "fine: primary, 2 new of 2" in message
    assert {p.source for p in await posts(h)} == {"feed:fine"}


async def test_timeout_then_backup(harness_factory: Callable[..., Any], feeds: FeedServer) -> None:
    """A primary that does not answer within FEED_TIMEOUT_SECONDS falls back to the backup."""
    feeds.routes = {"/j": (200, JSON_FEED)}
    feed = {"name": "slow", "url": f"{feeds.base}/slow", "backup_url": f"{feeds.base}/j"}
    h = await importer(harness_factory, [feed])
    assert await run(h) == "slow: backup (primary no answer within 0.5s), 1 new of 1"


async def test_imported_items_are_published_by_publish_due(
    harness_factory: Callable[..., Any], feeds: FeedServer
) -> None:
    """Imported items are scheduled posts that the next publish_due queues for the channel."""
    feeds.routes = {"/j": (200, JSON_FEED)}
    h = await importer(harness_factory, [{"name": "j", "url": f"{feeds.base}/j"}])
    await run(h)
    assert await h.run_job("content.publish_due") == "queued 1 post for the channel"


async def test_runjob_import_reports_the_source(
    harness_factory: Callable[..., Any], feeds: FeedServer
) -> None:
    """/runjob content.import_feed answers with the per-feed source; a dead feed fails the run."""
    feeds.routes = {"/mirror": (200, RSS)}
    good = {"name": "news", "url": "http://127.0.0.1:9/rss", "backup_url": f"{feeds.base}/mirror"}
    dead = {"name": "dead", "url": f"{feeds.base}/gone"}
    clock = ManualClock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))  # retry backoff: no real wait
    h = await importer(harness_factory, [good], clock=clock)
    done = await answer(h, ADMIN, "/runjob content.import_feed", "news: backup")
    assert "(primary unreachable (ClientConnectorError)), 2 new of 2" in done
    h.services.settings.of(ContentSettings).feeds = [FeedSource(**dead)]
    clock.advance(1)  # a new manual slot
    await answer(h, ADMIN, "/runjob content.import_feed", "dead: primary HTTP 404; no backup URL")
