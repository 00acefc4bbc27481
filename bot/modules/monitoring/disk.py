"""The admins are told when the database's disk fills up, and when writes work again.

The state is the database's (``services.db.disk``, :class:`bot.core.kernel.db.DiskFull`):
it changes on the first write refused for lack of space and on the first probe write that
succeeds after it. Each change is sent to every admin once, in their language, straight to
Telegram: the outbox, a table, cannot store a message while the disk is full. With several
replicas on one database, each tells the admins once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot
from telegram.error import TelegramError

from bot.core.kernel import Database, get_logger
from bot.core.people import N_, _, language_of, speaking

log = get_logger(__name__)

DISK_FULL = N_(
    "⚠️ The database refused a write: its disk is full. I still answer what only reads, "
    "and tell people to try again later when something must be saved. Please free some "
    "space (see docs/disk-full.md); I will tell you when writes work again."
)
DISK_BACK = N_("✅ The database accepts writes again (its disk was full for {seconds} s).")


def disk_notices(
    bot: Bot, db: Database, admins: Sequence[int]
) -> Callable[[bool, float], Awaitable[None]]:
    """A listener of ``db.disk``: ``(True, 0)`` at the start of an episode, ``(False, how
    many seconds it lasted)`` at its end; each is sent to every admin of ``admins``."""

    async def tell(full: bool, seconds: float) -> None:
        for admin in admins:
            language = None
            try:
                async with db.session() as session:  # a read: it works while the disk is full
                    language = await language_of(session, admin)
            except Exception as exc:
                log.info("an admin's language not read", admin=admin, error=str(exc)[:200])
            with speaking(language):
                text = _(DISK_FULL) if full else _(DISK_BACK).format(seconds=round(seconds))
            try:
                await bot.send_message(admin, text)
            except TelegramError as exc:
                log.warning("an admin was not told of the disk", admin=admin, error=str(exc))

    return tell
