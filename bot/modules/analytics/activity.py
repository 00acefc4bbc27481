"""Who used the bot on which day: one ``user_days`` row per user and local day.

``users.last_seen_at`` only keeps the last time (and only ``/start`` moves it), which can
say neither how many used the bot on a past day nor who came back a week after joining.
So the first private message of a user's day, and a mission completed with its button,
record the day (in ``TIMEZONE``): one insert-or-ignore per user and day, the repeats of
the day answered from the process's memory without touching the database. A missing day is a
smaller count, never a stopped update: the recording does not fail the update, and its
commit is not counted as the update's (a retry after a database outage is not refused
for it). ``cleanup.daily`` deletes the days older than :data:`KEPT`.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta

from sqlalchemy import delete, select, tuple_
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.core.context import BotContext, Services
from bot.core.kernel import (
    Purger,
    PurgeRequest,
    counting_commits,
    dialect_insert,
    get_logger,
    rowcount,
)
from bot.core.module import Routed, Stage
from bot.modules.analytics.models import UserDay
from bot.modules.missions.events import MissionCompleted

log = get_logger(__name__)

REMEMBERED_USERS = 65_536  # the users whose last recorded day this process keeps
# A roll-up reads 30 days back, and catches up at most 35 days: 65 days, and some margin.
KEPT = timedelta(days=70)  # the default of RETENTION__ACTIVITY_DAYS


class Activity:
    """Records the days each user used the bot. Which (user, day) this process has recorded
    is kept in its memory (the last :data:`REMEMBERED_USERS` users): an update never waits
    for the shared cache, which while Redis hangs would hold every reply for a probe. Another
    process recording the same day writes the same row (insert-or-ignore)."""

    __slots__ = ("_known", "services")

    def __init__(self, services: Services) -> None:
        self.services = services
        self._known: OrderedDict[int, date] = OrderedDict()

    async def record_day(self, user_id: int, day: date) -> bool:
        """Record that ``user_id`` used the bot on ``day``; False when this process already
        had (nothing was written)."""
        if self._known.get(user_id) == day:
            self._known.move_to_end(user_id)
            return False
        with counting_commits():  # this write is not the update's own
            async with self.services.db.session() as session:
                stmt = dialect_insert(session, UserDay).values(day=day, user_id=user_id)
                await session.execute(
                    stmt.on_conflict_do_nothing(index_elements=["day", "user_id"])
                )
        self._known[user_id] = day
        self._known.move_to_end(user_id)
        while len(self._known) > REMEMBERED_USERS:
            self._known.popitem(last=False)
        return True

    async def seen(self, user_id: int) -> None:
        """:meth:`record_day` for today, a failure logged and swallowed."""
        services = self.services
        try:
            await self.record_day(user_id, services.clock.today(services.settings.tz))
        except Exception as exc:
            log.warning("activity not recorded", user_id=user_id, error=repr(exc))

    async def message_seen(self, update: Update, context: BotContext) -> None:
        """Any message in a private chat (PTB group :attr:`Stage.SEEN`, before the handlers)."""
        if update.effective_user is not None:
            await self.seen(update.effective_user.id)

    async def completed(self, event: MissionCompleted) -> None:
        """A mission completed with its Done button is the user's activity of the day too (a
        press is not a message: the buttons have one handler, behind their guards)."""
        await self.seen(event.user_id)

    def handlers(self) -> tuple[Routed, ...]:
        private = MessageHandler(filters.ChatType.PRIVATE, self.message_seen, block=True)
        return (Routed(private, stage=Stage.SEEN),)


def day_purger(kept: timedelta = KEPT) -> Purger:
    """``cleanup.daily``'s purger of the days older than ``kept``
    (``RETENTION__ACTIVITY_DAYS``)."""

    async def purge(request: PurgeRequest) -> int:
        return await purge_old_days(request, kept)

    return purge


async def purge_old_days(request: PurgeRequest, kept: timedelta = KEPT) -> int:
    """Delete the activity of the days before ``kept``, a batch per transaction."""
    before = request.now.date() - kept
    removed = 0
    while True:
        chosen = select(UserDay.day, UserDay.user_id).where(UserDay.day < before)
        batch = chosen.limit(request.batch_size)
        async with request.db.session() as session:
            result = await session.execute(
                delete(UserDay).where(tuple_(UserDay.day, UserDay.user_id).in_(batch))
            )
        count = rowcount(result)
        removed += count
        if count < request.batch_size:
            return removed
