"""content.import_feed against feeds that could hurt the bot: a document of 120,000 items, plain
http://, redirects to loopback and private addresses, and seen items kept forever."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.core.kernel.clock import ManualClock
from bot.core.people.users import User
from bot.modules.content.feeds import FeedError
from bot.modules.content.models import Post
from bot.modules.content.settings import ContentSettings, FeedSource
from bot.sandbox.flood import FloodLimits
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.factories import register_user
from tests.helpers.feeds import LOOPBACK, RSS
from tests.helpers.servers import serve_http

OFF = {"enabled": False}
JOBS = {"content.import_feed": OFF, "content.publish_due": OFF, "cleanup.daily": OFF}


@dataclass
class FeedServer:
    """Serves ``routes[path] = (status, headers, body)`` and records the paths asked for."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    base: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        status, headers, body = self.routes.get(request.path, (404, {}, b"not found"))
        return web.Response(status=status, headers=headers, body=body)

    def redirect(self, path: str, location: str) -> None:
        self.routes[path] = (302, {"Location": location}, b"")


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feeds = FeedServer()
    async with serve_http(feeds.handle) as feeds.base:
        yield feeds


@contextlib.asynccontextmanager
async def serve_on(host: str, server: FeedServer) -> AsyncIterator[str]:
    """``server`` on another loopback address (127.0.0.2: loopback, but not the allowed one)."""
    app = web.Application()
    app.router.add_get("/{path:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def json_feed(ids: list[int]) -> bytes:
    """A JSON Feed listing items ``ids`` in that order (no dates: the document's order is
    newest first)."""
    items = ",".join(f'{{"id":"{i}","title":"t{i}"}}' for i in ids)
    return f'{{"version":"https://jsonfeed.org/version/1.1","items":[{items}]}}'.encode()


def ok(body: bytes) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/feed+json"}, body


async def importer(
    factory: Callable[..., Any], feeds: list[dict[str, Any]], **more: Any
) -> Harness:
    h: Harness = await factory(feeds=feeds, feed_timeout_seconds=20, jobs=JOBS, **more, **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None, group=None))
    return h


async def statuses(h: Harness) -> dict[str, list[str]]:
    """Feed item ids by status, in id order."""
    found: dict[str, list[str]] = {}
    async with h.services.db.session() as session:
        rows = await session.execute(select(Post.status, Post.source_item_id).order_by(Post.id))
        for status, item_id in rows:
            found.setdefault(status, []).append(str(item_id))
    return found


async def test_a_huge_document_is_capped_and_never_blocks_user_writes(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """A 120,000-item JSON Feed (under 5 MB) is read up to FEED_MAX_ITEMS (500, the newest) and
    the rest counted as ignored; meanwhile users keep writing: every one of their writes
    commits (none waits out the busy timeout as 'database is locked'), some while the
    import is running, and the import is complete at the end."""
    body = json_feed(list(range(120_000, 0, -1)))
    assert len(body) < 5 * 1024 * 1024
    server.routes["/huge"] = ok(body)
    h = await importer(harness_factory, [{"name": "big", "url": f"{server.base}/huge"}], **LOOPBACK)
    job = asyncio.ensure_future(h.run_job("content.import_feed"))
    written, during, failures = 0, 0, list[str]()
    while not job.done():
        try:
            async with h.services.db.session() as session:
                await register_user(session, 10_000 + written, now=h.services.clock.now())
        except Exception as exc:  # 'database is locked' after the busy timeout
            failures.append(repr(exc))
            job.cancel()
            break
        written, during = written + 1, during + (not job.done())
        await asyncio.sleep(0.005)
    assert failures == []
    assert await job == (
        "big: primary, 5 new of 500, 495 older marked seen, "
        "119500 older past FEED_MAX_ITEMS ignored"
    )
    assert during >= 1  # writes committed while the import ran
    found = await statuses(h)
    assert found["scheduled"] == [str(i) for i in range(119_996, 120_001)]
    assert len(found["seen"]) == 495 and min(map(int, found["seen"])) == 119_501
    async with h.services.db.session() as session:
        users = await session.scalar(select(func.count()).where(User.id >= 10_000))
    assert users == written


async def test_plain_http_is_refused_unless_allowed(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """Without FEED_ALLOW_HTTP an http:// feed is refused before anything is asked of it (also
    one put in place after start-up, past the settings' own check)."""
    server.routes["/rss"] = (200, {}, RSS)
    h = await importer(harness_factory, [], feed_allow_private="127.0.0.1")
    h.services.settings.of(ContentSettings).feeds = [
        FeedSource(name="plain", url=f"{server.base}/rss")
    ]
    with pytest.raises(FeedError) as failure:
        await h.run_job("content.import_feed")
    assert str(failure.value) == (
        "plain: primary http:// is refused: use https:// (or set FEED_ALLOW_HTTP=true); "
        "no backup URL"
    )
    assert server.hits == [] and await statuses(h) == {}


async def test_a_name_resolving_to_loopback_is_refused(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """Without FEED_ALLOW_PRIVATE a feed whose host name resolves to a loopback address is
    refused on the addresses it resolves to, before anything is asked of it."""
    server.routes["/rss"] = (200, {}, RSS)
    port = server.base.rsplit(":", 1)[1]
    feed = {"name": "local", "url": f"http://localhost:{port}/rss"}
    h = await importer(harness_factory, [feed], feed_allow_http=True)
    with pytest.raises(FeedError) as failure:
        await h.run_job("content.import_feed")
    message = str(failure.value)
    assert message.startswith("local: primary localhost refused: ")
    assert message.endswith("is not a public address (FEED_ALLOW_PRIVATE); no backup URL")
    assert server.hits == [] and await statuses(h) == {}


async def test_redirects_reach_only_allowed_addresses(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """Redirects are followed hop by hop: to 127.0.0.2 or 10.x (not public, not in
    FEED_ALLOW_PRIVATE=127.0.0.1) they are refused before the target is asked; more than 5
    hops is a feed error;
    a redirect to an allowed address imports, and the other feeds still import."""
    other = FeedServer()
    other.routes["/rss"] = (200, {}, RSS)
    async with serve_on("127.0.0.2", other) as elsewhere:
        server.routes["/rss"] = (200, {}, RSS)
        server.redirect("/to-loopback", f"{elsewhere}/rss")
        server.redirect("/to-private", "http://10.255.255.1/rss")
        server.redirect("/loop", "/loop")
        server.redirect("/to-allowed", "/rss")
        feeds = [
            {"name": n, "url": f"{server.base}/{path}"}
            for n, path in [
                ("a", "to-loopback"),
                ("b", "to-private"),
                ("d", "loop"),
                ("e", "to-allowed"),
            ]
        ]
        h = await importer(harness_factory, feeds, **LOOPBACK)
        with pytest.raises(FeedError) as failure:
            await h.run_job("content.import_feed")
    not_public = "is not a public address (FEED_ALLOW_PRIVATE)"
    a, b, d, e = str(failure.value).split("; no backup URL; ")
    assert a == f"a: primary redirect to 127.0.0.2 refused: 127.0.0.2 {not_public}"
    assert b == f"b: primary redirect to 10.255.255.1 refused: 10.255.255.1 {not_public}"
    assert d == "d: primary more than 5 redirects"
    assert e == "e: primary, 2 new of 2"
    assert other.hits == []  # 127.0.0.2 was never asked
    assert server.hits.count("/rss") == 1  # only through the allowed redirect
    assert server.hits.count("/loop") == 6
    assert (await statuses(h))["scheduled"] == ["http://x/2", "g1"]


async def test_seen_items_are_purged_once_their_feed_stopped_listing_them(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """Seen rows go with cleanup.daily FEED_SEEN_DAYS after their item was last in the feed;
    those still listed are kept (and are never posted as new); posts stay."""
    clock = ManualClock(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    server.routes["/f"] = ok(json_feed(list(range(9, -1, -1))))
    h = await importer(
        harness_factory,
        [{"name": "f", "url": f"{server.base}/f"}],
        clock=clock,
        feed_seen_days=90,
        **LOOPBACK,
    )
    run = h.run_job
    assert await run("content.import_feed") == "f: primary, 5 new of 10, 5 older marked seen"
    clock.advance(timedelta(days=40))
    server.routes["/f"] = ok(json_feed([9, 4, 3]))  # the feed still lists two seen items
    assert await run("content.import_feed") == "f: primary, 0 new of 3"
    clock.advance(timedelta(days=60))  # 100 days after the first import, 60 after the second
    assert "content.seen_feed_items 3" in str(await run("cleanup.daily"))
    found = await statuses(h)
    assert found == {"scheduled": ["5", "6", "7", "8", "9"], "seen": ["4", "3"]}
    assert await run("content.import_feed") == "f: primary, 0 new of 3"
    assert await run("cleanup.daily") is not None
    assert await statuses(h) == found  # refreshed again: nothing more goes
