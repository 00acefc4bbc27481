"""PTB's ``Application``, running each update through the pipeline's steps.

The steps (``bot/core/telegram/pipeline.py``) are given by the composition root, the last
of them PTB's own dispatch to the handlers; this class adds only what must sit inside
PTB's calls: the error path that schedules a retry instead of alerting, and a stop that
gives job runs their grace before PTB waits for its tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application, ExtBot

from bot.core.context import SERVICES, BotContext, Services, services_of
from bot.core.kernel import get_logger
from bot.core.lifecycle import STOP_HOOKS_RAN, post_stop
from bot.core.telegram import Handlers, Step, database_unreachable, run

log = get_logger(__name__)


class CompanionApplication(
    Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
):
    """The application whose updates pass :attr:`steps` before their handlers, and are
    handled again (a few times, seconds apart) when the database did not answer."""

    steps: Sequence[Step] = ()  # set by the composition root once the handlers are known

    @property
    def services(self) -> Services:
        """The services the composition root assembled for this application."""
        return services_of(self)

    @property
    def handlers_step(self) -> Handlers:
        """The pipeline's last step: PTB's dispatch, with the outage retries."""
        step: Handlers | None = self.__dict__.get("_handlers_step")
        if step is None:
            dispatch = super().process_update
            step = self.__dict__["_handlers_step"] = Handlers(
                dispatch, self.create_task, disk_full=lambda: self.services.db.disk.full
            )
        return step

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        await run(self.steps, update)

    async def process_error(
        self, update: object | None, error: Exception, job: Any = None, coroutine: Any = None
    ) -> bool:
        """A handler that failed because the database is away runs again a little later;
        the error handlers (and the user's "try again") come only when the tries ran out.
        One whose write was refused for lack of space is answered at once instead; a job's
        is one log line."""
        if job is not None and SERVICES in self.bot_data and self.services.db.out_of_space(error):
            # The admins were told of the full disk once; a job meeting it is no new alert
            # (and one the outbox could not store): the run's record or a missed slot says it.
            log.info(
                "a job met the full disk", job=getattr(job, "name", None), error=str(error)[:200]
            )
            return False
        outage = job is None and isinstance(update, Update) and database_unreachable(error)
        if outage and isinstance(update, Update) and self.handlers_step.again(update, error):
            return True  # stop this update's other handlers: it will be handled anew
        return await super().process_error(update, error, job, coroutine)

    async def stop(self) -> None:
        """Job runs in progress get a grace, then are cancelled, before PTB waits for the
        tasks it started (a run could otherwise hold the stop for its whole timeout)."""
        if SERVICES in self.bot_data:
            await self.services.runner.stop()
        await super().stop()

    async def shutdown(self) -> None:
        """A stop signal during start-up skips ``stop`` and ``post_stop`` in PTB's
        ``run_polling``: the stop hooks (the outbox sender's graceful stop) run here then,
        while the bot can still send and record."""
        if SERVICES in self.bot_data and not self.bot_data.get(STOP_HOOKS_RAN):
            await post_stop(self)
        await super().shutdown()
