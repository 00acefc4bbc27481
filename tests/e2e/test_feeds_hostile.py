"""content.import_feed against real, large and hostile feeds served on loopback by aiohttp."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.modules.content.feeds import FeedError, parse_apart
from bot.modules.content.models import Post
from bot.sandbox.flood import FloodLimits
from tests.e2e.conftest import CHANNEL, UNPACED, Harness
from tests.helpers.feeds import LOOPBACK, PREFIXED_ATOM, RDF
from tests.helpers.servers import serve_http

BASE = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class Route:
    body: bytes
    chunk: int | None = None  # None: one response with Content-Length; else chunked writes
    pause: bool = False  # let each chunk reach the client on its own


class FeedServer:
    """Serves ``routes[path]``, whole or in chunks (as a slow network delivers them)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.base = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, body=b"not found")
        if route.chunk is None:
            return web.Response(body=route.body, content_type="application/rss+xml")
        response = web.StreamResponse()
        response.content_type = "application/rss+xml"
        await response.prepare(request)
        try:
            for start in range(0, len(route.body), route.chunk):
                await response.write(route.body[start : start + route.chunk])
                if route.pause:
                    await asyncio.sleep(0.001)
            await response.write_eof()
        except ConnectionResetError:  # the client stopped reading (the size cap)
            pass
        return response


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feeds = FeedServer()
    async with serve_http(feeds.handle) as feeds.base:
        yield feeds


def rss(count: int, *, pad: int = 0, first: int = 0, shuffle: bool = False) -> bytes:
    """A valid RSS 2.0 feed of ``count`` dated items (item i is i hours after BASE)."""
    numbers = list(range(first, first + count))
    if shuffle:
        numbers = numbers[1::2] + numbers[::2]  # not in date order: dates must decide
    items = "".join(
        f"<item><title>Item {i}</title><link>http://feed/{i}</link><guid>g{i}</guid>"
        f"<pubDate>{format_datetime(BASE + timedelta(hours=i))}</pubDate>"
        f"<description>{'lorem ipsum ' * pad}</description></item>"
        for i in numbers
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


async def importer(factory: Callable[..., Any], feeds: list[dict[str, Any]]) -> Harness:
    """A bot with these feeds that imports only when a test runs the job."""
    jobs = {"content.import_feed": {"enabled": False}, "content.publish_due": {"enabled": False}}
    h: Harness = await factory(
        feeds=feeds, feed_timeout_seconds=20, jobs=jobs, **LOOPBACK, **UNPACED
    )
    h.sandbox.set_limits(FloodLimits(private=None, group=None))
    return h


async def run(h: Harness, name: str = "content.import_feed") -> str | None:
    return await h.run_job(name)


async def stored(h: Harness, status: str) -> list[str]:
    async with h.services.db.session() as session:
        query = select(Post.source_item_id).where(Post.status == status).order_by(Post.id)
        return [str(item) for item in await session.scalars(query)]


async def test_large_feed_in_small_chunks_imports(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """A valid 570 KB RSS arriving in 16 KB chunks is read whole (not as 'malformed XML'); of
    its 600 items the newest 500 (FEED_MAX_ITEMS) are read, the others counted as ignored."""
    body = rss(600, pad=70)
    assert 560_000 < len(body) < 600_000
    server.routes["/big"] = Route(body, chunk=16 * 1024, pause=True)
    h = await importer(harness_factory, [{"name": "big", "url": f"{server.base}/big"}])
    assert await run(h) == (
        "big: primary, 5 new of 500, 495 older marked seen, 100 older past FEED_MAX_ITEMS ignored"
    )
    assert await stored(h, "scheduled") == ["g595", "g596", "g597", "g598", "g599"]


@pytest.mark.parametrize("chunk", [None, 64 * 1024], ids=["content-length", "chunked"])
async def test_oversized_feed_fails_and_backup_is_used(
    harness_factory: Callable[..., Any], server: FeedServer, chunk: int | None
) -> None:
    """A 6 MB feed (declared or streamed) is cut off at 5 MB as a feed error; the backup is used."""
    server.routes["/huge"] = Route(rss(12_000, pad=35), chunk=chunk)
    assert len(server.routes["/huge"].body) > 6 * 1024 * 1024
    server.routes["/small"] = Route(rss(2))
    feed = {"name": "n", "url": f"{server.base}/huge", "backup_url": f"{server.base}/small"}
    h = await importer(harness_factory, [feed])
    assert await run(h) == "n: backup (primary larger than 5 MB), 2 new of 2"


async def test_deeply_nested_json_tries_backup_and_other_feeds_import(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """Deeply nested JSON is a feed error: the backup is tried and the next feeds still import."""
    nested = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 200_000
    server.routes["/nested"] = Route(nested + b"]" * 200_000 + b"}")
    server.routes["/rdf"], server.routes["/atom"] = Route(RDF), Route(PREFIXED_ATOM)
    h = await importer(
        harness_factory,
        [
            {"name": "a", "url": f"{server.base}/nested", "backup_url": f"{server.base}/rdf"},
            {"name": "b", "url": f"{server.base}/nested"},
            {"name": "c", "url": f"{server.base}/atom"},
        ],
    )
    with pytest.raises(FeedError) as failure:
        await run(h)
    assert str(failure.value) == (
        "b: primary nested too deeply to read; no backup URL; "
        "a: backup (primary nested too deeply to read), 2 new of 2; c: primary, 1 new of 1"
    )
    assert await stored(h, "scheduled") == ["http://r/1", "http://r/2", "tag:x,2026:1"]


async def test_items_without_text_are_skipped_and_never_posted(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """Items with no title, link or summary are counted as skipped; only real posts go out."""
    server.routes["/f"] = Route(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b'<item><guid isPermaLink="false">empty-1</guid></item><item><title> </title></item>'
        b"<item><title>Real news</title><guid>r1</guid></item></channel></rss>"
    )
    h = await importer(harness_factory, [{"name": "f", "url": f"{server.base}/f"}])
    assert await run(h) == "f: primary, 1 new of 1, 2 without text skipped"
    assert await run(h, "content.publish_due") == "queued 1 post for the channel"
    await h.wait(lambda: h.sandbox.world.to(CHANNEL))
    assert [m.text for m in h.sandbox.world.to(CHANNEL)] == ["Real news"]


async def test_every_run_queues_at_most_the_newest_five(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """First import of 500 items queues the 5 newest (by date) and marks 495 seen; later runs
    queue only items never seen, at most 5 (oldest of them first); the channel gets those."""
    server.routes["/f"] = Route(rss(500, shuffle=True))
    h = await importer(harness_factory, [{"name": "f", "url": f"{server.base}/f"}])
    assert await run(h) == "f: primary, 5 new of 500, 495 older marked seen"
    assert await stored(h, "scheduled") == [f"g{i}" for i in range(495, 500)]
    assert len(await stored(h, "seen")) == 495
    server.routes["/f"] = Route(rss(3, first=500))
    assert await run(h) == "f: primary, 3 new of 3"
    server.routes["/f"] = Route(rss(10, first=501))  # 2 seen before, 8 new
    assert await run(h) == "f: primary, 5 new of 10, 3 older marked seen"
    assert (await stored(h, "scheduled"))[-5:] == [f"g{i}" for i in range(506, 511)]
    assert await run(h, "content.publish_due") == "queued 13 posts for the channel"
    await h.wait(lambda: len(h.sandbox.world.to(CHANNEL)) == 13, timeout=30)
    texts = {(m.text or "").split("\n")[0] for m in h.sandbox.world.to(CHANNEL)}
    assert texts == {f"Item {i}" for i in [*range(495, 503), *range(506, 511)]}


async def test_same_items_from_primary_and_backup_are_one_post(
    harness_factory: Callable[..., Any], server: FeedServer
) -> None:
    """An item's id does not depend on which URL served it: no duplicate after a fallback."""
    server.routes["/main"] = server.routes["/mirror"] = Route(rss(2))
    feed = {"name": "n", "url": f"{server.base}/main", "backup_url": f"{server.base}/mirror"}
    h = await importer(harness_factory, [feed])
    assert await run(h) == "n: primary, 2 new of 2"
    del server.routes["/main"]
    assert await run(h) == "n: backup (primary HTTP 404), 0 new of 2"


async def test_a_document_that_takes_too_long_to_parse_is_cut_off() -> None:
    """Parsing runs in a child process with a time budget: a document that keeps feedparser's
    lenient parser busy for many seconds is a feed error after the budget (not before it),
    and the bot's own event loop keeps turning meanwhile."""
    pathological = b"<rss>" + b"<x>" * 400_000  # about 10 s of CPU in the lenient parser
    loop = asyncio.get_running_loop()
    started = loop.time()
    parsing = asyncio.ensure_future(parse_apart(pathological, "", budget=1.5))
    ticks = 0
    async with asyncio.timeout(60):  # a hang guard
        while not parsing.done():
            await asyncio.sleep(0.05)
            ticks += 1
    with pytest.raises(FeedError, match=r"not parsed within 1\.5s"):
        await parsing
    assert loop.time() - started >= 1.5  # the budget was given
    # Parsing on the loop itself would have let it turn once at most, however fast the machine.
    assert ticks >= 3
