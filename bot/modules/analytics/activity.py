"""Who used the bot on which day: one ``user_days`` row per user and local day.

``users.last_seen_at`` only keeps the last time (and only ``/start`` moves it), which can
say neither how many used the bot on a past day nor who came back a week after joining.
So the first private message of a user's day, and a mission completed with its button,
record the day (in ``TIMEZONE``): one insert-or-ignore per user and day, the repeats of
the day answered from the cache without touching the database. A missing day is a
smaller count, never a stopped update: the recording does not fail the update, and its
commit is not counted as the update's (a retry after a database outage is not refused
for it). ``cleanup.daily`` deletes the days older than :data:`KEPT`.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select, tuple_
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.core.context import BotContext, Services
from bot.core.kernel import PurgeRequest, counting_commits, dialect_insert, get_logger, rowcount
from bot.core.module import Routed, Stage
from bot.modules.analytics.models import UserDay
from bot.modules.missions.events import MissionCompleted

log = get_logger(__name__)

REMEMBERED = timedelta(hours=26)  # a day's key outlives the day in every zone
# A roll-up reads 30 days back, and catches up at most 35 days: 65 days, and some margin.
KEPT = timedelta(days=70)


async def record_day(services: Services, user_id: int, day: date) -> bool:
    """Record that ``user_id`` used the bot on ``day``; False when already known (the
    cache remembered it, so nothing was written)."""
    key = f"seen:{day.isoformat()}:{user_id}"
    if await services.cache.get(key) is not None:
        return False
    with counting_commits():  # this write is not the update's own
        async with services.db.session() as session:
            stmt = dialect_insert(session, UserDay).values(day=day, user_id=user_id)
            await session.execute(stmt.on_conflict_do_nothing(index_elements=["day", "user_id"]))
    await services.cache.set(key, "1", ttl=REMEMBERED.total_seconds())
    return True


async def seen(services: Services, user_id: int) -> None:
    """:func:`record_day` for today, a failure logged and swallowed."""
    try:
        await record_day(services, user_id, services.clock.today(services.settings.tz))
    except Exception as exc:
        log.warning("activity not recorded", user_id=user_id, error=repr(exc))


async def message_seen(update: Update, context: BotContext) -> None:
    """Any message in a private chat (PTB group :attr:`Stage.SEEN`, before the handlers)."""
    if update.effective_user is not None:
        await seen(context.services, update.effective_user.id)


class Completions:
    """A mission completed with its Done button is the user's activity of the day too (a
    press is not a message: the buttons have one handler, behind their guards)."""

    __slots__ = ("services",)

    def __init__(self, services: Services) -> None:
        self.services = services

    async def completed(self, event: MissionCompleted) -> None:
        await seen(self.services, event.user_id)


async def purge_old_days(request: PurgeRequest) -> int:
    """Delete the activity of the days before :data:`KEPT`, a batch per transaction."""
    before = request.now.date() - KEPT
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


HANDLERS = (
    Routed(MessageHandler(filters.ChatType.PRIVATE, message_seen, block=True), stage=Stage.SEEN),
)
