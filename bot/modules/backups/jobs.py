"""``backups.daily``: a backup of the database every night, rotated; a failure raises, and the
runner records it and tells the admins (once a streak, as for every job)."""

from __future__ import annotations

from datetime import time

from bot.core.context import Services
from bot.core.jobs import DailyAt, JobContext, JobSpec, RetryPolicy
from bot.core.people import _, translatable
from bot.modules.backups import service
from bot.modules.backups.settings import BackupSettings


async def daily(ctx: JobContext[Services]) -> str:
    """Back up the database and rotate; the summary names the file and its figures."""
    settings = ctx.services.settings
    options = settings.of(BackupSettings).backups
    taken = await service.take(settings.database_url, options)
    figures = service.summary_figures(taken)

    def summary() -> str:
        text = _("backup {file}, {tables} tables, {rows} rows, {size}").format(**figures)
        if taken.rotated:
            text += "; " + _("rotated out {count}").format(count=len(taken.rotated))
        return text

    return translatable(summary)


SPECS = (
    JobSpec(
        "backups.daily",
        daily,
        DailyAt(time(3, 30)),
        description="back up the database (online) into BACKUPS__FOLDER and rotate",
        timeout=3600,
        retry=RetryPolicy(attempts=2, base_delay=10.0),
        catchup=6 * 3600.0,
    ),
)
