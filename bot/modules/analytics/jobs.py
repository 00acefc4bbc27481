"""Analytics jobs: quick figures for /stats every 15 minutes, a chart for admins every morning."""

from __future__ import annotations

from datetime import date, time, timedelta

from babel.dates import format_date

from bot.core.alerts import admins_by_language, to_admins
from bot.core.context import Services
from bot.core.delivery import Priority
from bot.core.jobs import DailyAt, Every, JobContext, JobSpec, installed_at
from bot.core.people import _, current, ngettext, speaking, translatable
from bot.modules.analytics import service
from bot.modules.analytics.chart import Points, render_in_child


async def quick_stats(ctx: JobContext[Services]) -> str:
    """Refresh the cached figures (and today's snapshot)."""
    entry = await service.refresh(ctx.services)
    figures = entry["figures"]
    total, backlog = figures["users_total"], figures["outbox_backlog"]

    def summary() -> str:
        users = ngettext("{count} user", "{count} users", total).format(count=total)
        return _("{users}, backlog {backlog}").format(users=users, backlog=backlog)

    return translatable(summary)


async def daily_report(ctx: JobContext[Services]) -> str:
    """Yesterday's figures and the 14-day trend chart, as a photo to every admin."""
    services = ctx.services
    now, tz = services.clock.now(), services.settings.tz
    yesterday = services.clock.today(tz) - timedelta(days=1)
    async with services.db.session() as session:
        installed = await installed_at(session)
    if installed is not None and installed.astimezone(tz).date() > yesterday:  # not yet there
        since = installed.astimezone(tz).date()
        return translatable(
            lambda: _("no report for {day}: the bot was installed on {installed}").format(
                day=yesterday, installed=since
            )
        )
    async with services.db.session() as session:
        # The day's last refresh keeps what only it could see (the backlog then); the
        # rest is counted again as of the day's end.
        figures = await service.snapshot(session, yesterday)
        figures.update(await service.compute(session, services.stats, yesterday, tz, now))
        await service.save_snapshot(session, yesterday, figures, now)
        points = await service.trend(session, yesterday)
    async with services.db.session() as session:
        readers = await admins_by_language(services, session)
    queued = 0
    for language, admin_ids in readers.items():  # one chart per language the admins read
        with speaking(language):
            queued += await _report(services, yesterday, points, figures, admin_ids)

    def summary() -> str:
        days = ngettext("{count} day", "{count} days", len(points)).format(count=len(points))
        admins = ngettext("{count} admin", "{count} admins", queued).format(count=queued)
        return _("report for {day}: chart of {days}, queued to {admins}").format(
            day=yesterday, days=days, admins=admins
        )

    return translatable(summary)


async def _report(
    services: Services,
    day: date,
    points: Points,
    figures: dict[str, int],
    admin_ids: list[int],
) -> int:
    """Draw the chart and queue it to ``admin_ids``, all in the current language."""
    language = current()
    path = services.settings.media_dir.resolve() / "reports" / f"daily-{day}-{language}.png"
    await render_in_child(points, path, language=language)
    head = _("Daily report for {day} ({zone}, the bot's zone)").format(
        day=format_date(day, "full", locale=language), zone=services.settings.tz.key
    )
    caption = "\n".join([head, *services.stats.describe(figures)])
    async with services.db.session() as session:
        return await to_admins(
            services,
            session,
            f"report:{day.isoformat()}",
            Priority.NOTIFICATION,
            method="sendPhoto",
            payload={"photo": str(path), "caption": caption[:1024]},
            admin_ids=admin_ids,
        )


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
