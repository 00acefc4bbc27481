"""Periodic work of content: queue due posts, import feeds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.context import Services
from bot.core.jobs import Every, JobContext, JobSpec, RetryPolicy
from bot.core.kernel import get_logger
from bot.core.people import _, ngettext, translatable
from bot.modules.content import feed_store, service
from bot.modules.content.settings import ContentSettings

if TYPE_CHECKING:
    from bot.modules.content.feeds import Fetched

log = get_logger(__name__)
BATCH = 100


class ContentConfigError(Exception):
    """The content module is missing a setting it needs."""


async def queue_due(services: Services) -> int:
    """Move every due scheduled post into the outbox; how many were queued."""
    channel_id = services.settings.channel_id
    queued = 0
    async with services.db.session() as session:
        due = await service.due(session, services.clock.now(), BATCH)
        if channel_id is None:
            # Without a channel there is nothing to do until a post is due; then it is an error.
            if due:
                raise ContentConfigError("CHANNEL_ID is not set, so due posts have nowhere to go")
            return 0
        for post in due:
            queued += await service.queue(services.outbox, session, post, channel_id)
    return queued


async def publish_due(ctx: JobContext[Services]) -> str:
    queued = await queue_due(ctx.services)
    return translatable(
        lambda: ngettext(
            "queued {count} post for the channel", "queued {count} posts for the channel", queued
        ).format(count=queued)
    )


async def import_feed(ctx: JobContext[Services]) -> str:
    """Import new items of every feed; fails (after importing the others) if a feed is unusable."""
    from bot.modules.content import feeds  # aiohttp only where feeds are imported

    services = ctx.services
    settings = services.settings.of(ContentSettings)
    lines, failures = [], []
    for feed in settings.feeds:
        try:
            fetched = await feeds.fetch_with_backup(
                feed.url,
                feed.backup_url,
                settings.feed_timeout_seconds,
                settings.feed_policy,
                settings.feed_max_items,
            )
        except feeds.FeedError as exc:
            log.warning("feed failed", feed=feed.name, error=str(exc))
            failures.append(f"{feed.name}: {exc}")
            continue
        lines.append(await _store(services, feed.name, fetched))
    if failures:
        raise feeds.FeedError("; ".join(failures + lines))
    return "; ".join(lines) or _("no feeds configured (FEEDS)")


async def _store(services: Services, name: str, fetched: Fetched) -> str:
    """Queue the newest new items of one feed (at most FEED_MAX_NEW_PER_RUN); its summary."""
    done = await feed_store.import_feed_items(
        services.db,
        source=f"feed:{name}",
        items=[(i.id, i.as_post()) for i in fetched.items],
        cap=services.settings.of(ContentSettings).feed_max_new_per_run,
        now=services.clock.now(),
    )
    log.info(
        "feed imported",
        feed=name,
        source=fetched.source,
        new=done.queued,
        seen=done.seen,
        skipped=fetched.skipped,
        dropped=fetched.dropped,
    )
    note = f" ({fetched.note})" if fetched.note else ""
    counts = _("{new} new of {total}").format(new=done.queued, total=len(fetched.items))
    line = f"{name}: {fetched.source}{note}, {counts}"
    if done.seen:
        line += ", " + _("{count} older marked seen").format(count=done.seen)
    if fetched.skipped:
        line += ", " + _("{count} without text skipped").format(count=fetched.skipped)
    if fetched.dropped:
        line += ", " + _("{count} older past FEED_MAX_ITEMS ignored").format(count=fetched.dropped)
    return line


JOBS = (
    JobSpec(
        "content.publish_due",
        publish_due,
        Every(60),
        description="queue due channel posts for publication",
        timeout=60.0,
        catchup=0.0,
    ),
    JobSpec(
        "content.import_feed",
        import_feed,
        Every(3600),
        description="import new items of the configured feeds (FEEDS) into the post queue",
        timeout=120.0,
        retry=RetryPolicy(attempts=2, base_delay=30.0),
    ),
)
