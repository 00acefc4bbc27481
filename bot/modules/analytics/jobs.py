"""Analytics jobs: quick figures for /stats every 15 minutes, a chart for admins every morning."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.alerts import to_admins
from bot.core.context import Services
from bot.core.delivery import Priority
from bot.core.jobs import DailyAt, Every, JobContext, JobSpec
from bot.core.plural import plural
from bot.modules.analytics import service
from bot.modules.analytics.chart import render_in_child


async def quick_stats(ctx: JobContext) -> str:
    """Refresh the cached figures (and today's snapshot)."""
    entry = await service.refresh(ctx.services)
    figures = entry["figures"]
    return f"{plural(figures['users_total'], 'user')}, backlog {figures['outbox_backlog']}"


async def daily_report(ctx: JobContext) -> str:
    """Yesterday's figures and the 14-day trend chart, as a photo to every admin."""
    services = ctx.services
    now, tz = services.clock.now(), services.settings.tz
    yesterday = services.clock.today(tz) - timedelta(days=1)
    async with services.db.session() as session:
        # The day's last refresh keeps what only it could see (the backlog then); the
        # rest is counted again as of the day's end.
        figures = await service.snapshot(session, yesterday)
        figures.update(await service.compute(session, services.stats, yesterday, tz, now))
        await service.save_snapshot(session, yesterday, figures, now)
        points = await service.trend(session, yesterday)
    media = services.settings.media_dir.resolve()
    path = media / "reports" / f"daily-{yesterday.isoformat()}.png"
    await render_in_child(points, path)
    caption = "\n".join(
        [
            f"Daily report for {yesterday:%A %d %B %Y} ({tz.key}, the bot's zone)",
            *service.format_figures(figures),
        ]
    )
    queued = await _send_to_admins(services, f"report:{yesterday.isoformat()}", str(path), caption)
    chart, admins = plural(len(points), "day"), plural(queued, "admin")
    return f"report for {yesterday}: chart of {chart}, queued to {admins}"


async def _send_to_admins(services: Services, key: str, photo: str, caption: str) -> int:
    async with services.db.session() as session:
        return await to_admins(
            services, session, key, Priority.NOTIFICATION,
            method="sendPhoto", payload={"photo": photo, "caption": caption[:1024]},
        )  # fmt: skip


SPECS = (
    JobSpec(
        "analytics.quick_stats",
        quick_stats,
        Every.minutes(15),
        description="refresh the figures /stats shows",
        timeout=120,
        catchup=0,
    ),
    JobSpec(
        "analytics.daily_report",
        daily_report,
        DailyAt(time(9, 0)),
        description="yesterday's figures and a 14-day chart to the admins",
        timeout=300,
    ),
)
