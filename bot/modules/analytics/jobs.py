"""Analytics jobs: quick figures for /stats every 15 minutes, the engagement roll-up after
midnight, a chart for admins every morning."""

from __future__ import annotations

from datetime import date, time, timedelta

from babel.dates import format_date

from bot.core.alerts import admins_by_language, to_admins
from bot.core.context import Services
from bot.core.delivery import Priority
from bot.core.jobs import DailyAt, Every, JobContext, JobSpec, installed_at
from bot.core.people import _, current, ngettext, speaking, translatable
from bot.modules.analytics import engagement, service
from bot.modules.analytics.chart import Points, render_in_child

ROLLUP_BACK = 35  # days a roll-up catches up at most (a bot that was stopped longer)


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
        rolled = await engagement.rows(session, yesterday, yesterday)  # after midnight's roll-up
        if yesterday in rolled:
            figures["users_active"] = rolled[yesterday]["dau"]
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


async def roll_up(ctx: JobContext[Services]) -> str:
    """The engagement roll-up of every day since the last one, up to yesterday (yesterday
    again when it has one: a manual run recomputes it); only yesterday on a first run, and
    no day before the bot was installed."""
    services = ctx.services
    days = await _days_to_roll_up(services)
    steps = services.stats.funnel()
    figures: dict[str, object] = {}
    for day in days:
        async with services.db.session() as session:
            figures = await engagement.roll_up(session, steps, day, services.settings.tz)
            await engagement.save(session, day, figures, services.clock.now())
    if not days:
        return translatable(lambda: _("nothing to roll up: the bot was installed today"))

    def summary() -> str:
        count = ngettext("{count} day", "{count} days", len(days)).format(count=len(days))
        return _("rolled up {days} up to {day}: {active} active that day").format(
            days=count, day=days[-1], active=figures["dau"]
        )

    return translatable(summary)


async def _days_to_roll_up(services: Services) -> list[date]:
    tz = services.settings.tz
    yesterday = services.clock.today(tz) - timedelta(days=1)
    async with services.db.session() as session:
        installed = await installed_at(session)
        last = await engagement.last_rolled_up(session)
    first = yesterday if last is None else min(last + timedelta(days=1), yesterday)
    first = max(first, yesterday - timedelta(days=ROLLUP_BACK - 1))
    if installed is not None:
        first = max(first, installed.astimezone(tz).date())
    return [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]


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
        "analytics.engagement",
        roll_up,
        DailyAt(time(0, 20)),
        description="yesterday's engagement: active users, retention, funnel, sources",
        timeout=600,
        catchup=20 * 3600,
    ),
    JobSpec(
        "analytics.daily_report",
        daily_report,
        DailyAt(time(9, 0)),
        description="yesterday's figures and a 14-day chart to the admins",
        timeout=300,
    ),
)
