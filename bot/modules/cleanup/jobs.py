"""The cleanup jobs: retention every night, database maintenance every week."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.context import Services
from bot.core.jobs import Cron, DailyAt, JobContext, JobSpec, RetryPolicy
from bot.core.kernel import PurgeRequest, get_logger
from bot.core.people import _, translatable
from bot.modules.cleanup import service

log = get_logger(__name__)

DAY = timedelta(days=1)


async def daily(ctx: JobContext[Services]) -> str:
    """Apply every retention rule; the summary lists what went."""
    services = ctx.services
    rules, now = services.settings.retention, services.clock.now()
    outbox = await service.purge_outbox(
        services.db, before=now - rules.outbox_days * DAY, batch_size=rules.batch_size
    )
    runs = await service.purge_job_runs(
        services.db,
        before=now - rules.job_runs_days * DAY,
        keep_last=rules.job_runs_keep_last,
        batch_size=rules.batch_size,
    )
    media = await service.purge_media(
        services.settings.media_dir, before=now - rules.media_days * DAY
    )
    keys = await _purge_redis(services) if services.settings.redis_url else None
    request = PurgeRequest(services.db, now, rules.batch_size)
    purged = [(name, await purger(request)) for name, purger in services.purgers]

    def summary() -> str:
        rows = _("{table} {rows} rows in {batches} batches")
        parts = [
            rows.format(table=_("job runs"), rows=runs.rows, batches=runs.batches),
            rows.format(table=_("outbox"), rows=outbox.rows, batches=outbox.batches),
            _("media {count} files ({size})").format(
                count=media.count, size=service.human_bytes(media.bytes)
            ),
        ]
        if keys is not None:
            parts.append(_("redis {count} keys").format(count=keys))
        parts += [f"{name} {count}" for name, count in purged]  # each module's own table
        return _("removed: {parts}").format(parts=", ".join(parts))

    done = translatable(summary)
    log.info("cleanup done", summary=done)
    return done


async def optimize(ctx: JobContext[Services]) -> str:
    """Reclaim space and refresh the planner's statistics."""
    db = ctx.services.db
    before, after = await service.optimize(db)
    verb = "VACUUM" if db.is_sqlite else "ANALYZE"
    return f"{verb}: {service.human_bytes(before)} -> {service.human_bytes(after)}"


SPECS = (
    JobSpec(
        "cleanup.daily",
        daily,
        DailyAt(time(3, 0)),
        description="delete old job runs, outbox rows, media files and stale cache keys",
        timeout=1800,
        retry=RetryPolicy(attempts=2),
    ),
    JobSpec(
        "cleanup.optimize",
        optimize,
        Cron("0 4 * * 0"),
        description="VACUUM (SQLite) or ANALYZE (PostgreSQL), reporting the size",
        timeout=3600,
        retry=RetryPolicy(attempts=1),
    ),
)


async def _purge_redis(services: Services) -> int | None:
    """Stale keys of the Redis cache removed, when the cache is one (None otherwise; Redis is
    imported only then)."""
    from bot.core.kernel.rediscache import RedisCache

    if not isinstance(services.cache, RedisCache):
        return None
    rules = services.settings.retention
    keys = await service.purge_redis(
        services.cache.redis,
        idle_seconds=rules.redis_idle_days * 86_400,
        batch_size=rules.batch_size,
    )
    return keys
