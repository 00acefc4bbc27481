"""The cleanup jobs: retention every night, database maintenance every week."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.context import Services
from bot.core.jobs import Cron, DailyAt, JobContext, JobSpec, RetryPolicy
from bot.core.kernel import PurgeRequest, get_logger
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
    parts = [
        f"job runs {runs.rows} rows in {runs.batches} batches",
        f"outbox {outbox.rows} rows in {outbox.batches} batches",
    ]
    media = await service.purge_media(
        services.settings.media_dir, before=now - rules.media_days * DAY
    )
    parts.append(f"media {media.count} files ({service.human_bytes(media.bytes)})")
    if services.settings.redis_url:
        parts += await _purge_redis(services)
    request = PurgeRequest(services.db, now, rules.batch_size)
    for name, purger in services.purgers:
        parts.append(f"{name} {await purger(request)}")
    summary = "removed: " + ", ".join(parts)
    log.info("cleanup done", summary=summary)
    return summary


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


async def _purge_redis(services: Services) -> list[str]:
    """Stale keys of the Redis cache, when the cache is one (Redis is imported only then)."""
    from bot.core.kernel.rediscache import RedisCache

    if not isinstance(services.cache, RedisCache):
        return []
    rules = services.settings.retention
    keys = await service.purge_redis(
        services.cache.redis,
        idle_seconds=rules.redis_idle_days * 86_400,
        batch_size=rules.batch_size,
    )
    return [f"redis {keys} keys"]
