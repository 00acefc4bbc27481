"""The broadcast module's job: the next occurrence of each repeated broadcast, on time."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.jobs import Every, JobContext, JobSpec
from bot.core.people import ngettext, translatable
from bot.modules.broadcast import scheduled


async def repeat(ctx: JobContext[Services]) -> str:
    queued, ended = await scheduled.repeat_due(ctx.services)
    return translatable(
        lambda: ngettext(
            "queued {queued} repeated broadcast, {ended} ended",
            "queued {queued} repeated broadcasts, {ended} ended",
            queued,
        ).format(queued=queued, ended=ended)
    )


JOBS = (
    JobSpec(
        "broadcast.repeat",
        repeat,
        Every(60),
        description="queue the next occurrence of repeated broadcasts (every:day, every:week)",
        timeout=120.0,
        catchup=0.0,
    ),
)
