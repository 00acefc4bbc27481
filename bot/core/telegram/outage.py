"""Riding out a short database outage: an update that failed because the database did not
answer is handled again a little later, a few times, before the user is told.

A restart of PostgreSQL, a failover, or SQLite locked by a long maintenance write lasts
seconds; answering "something went wrong" to everyone who wrote meanwhile (or, worse,
nothing) is the wrong trade. Only errors that say the database is unreachable or busy
are retried: a handler that failed on bad data fails the same way the second time.

Only an update that committed nothing is handled again: one whose handler had committed a
transaction before the database went away (``/post now`` stores the post, then queues it)
would do that part twice. Its sender is told instead that it was partly done
(:func:`tell_partly_done`), and the log says so with a reference.

A full disk is not an outage: reads work and only writes fail, for as long as it takes
someone to free space (:class:`bot.core.kernel.db.DiskFull` holds the state). An update
whose write was refused is not handled again: its sender is told at once that it cannot
be saved now (:func:`tell_cannot_save`); the admins hear of the episode from the
monitoring module, directly (the outbox cannot store).
An arrival (a payment stored before it is acknowledged) waits for space as it waits for
a database that is away: :func:`database_unreachable` says yes to a full disk too.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from telegram import Update
from telegram.error import TelegramError

from bot.core.kernel import Database, get_logger
from bot.core.people import N_, _

log = get_logger(__name__)
DELAYS = (0.5, 1.0, 2.0)  # seconds before each new try: about 3.5 s in all
PARTLY_DONE = N_(
    "The database stopped answering while I was doing this, after part of it was done, "
    "so I did not start it again. Please check what was done before you try again "
    "(ref {ref})."
)
CANNOT_SAVE = N_("I can't save that right now: the bot's storage is full. Please try again later.")
PARTLY_SAVED = N_(
    "The bot's storage filled up while I was doing this, after part of it was saved, so I "
    "did not finish it. Please check what was done before you try again later (ref {ref})."
)


# What drivers say when the database is away or busy (never for a missing table, a
# constraint or bad SQL, which fail the same way the next time).
_OUTAGE = (
    "database is locked",
    "unable to open database",
    "disk i/o error",
    "connection",
    "could not connect",
    "the database system is",
    "terminating",
    "server closed",
    "too many clients",
    "timeout",
    "timed out",
)


def database_unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database is away, busy or full (worth another try later:
    an arrival waits for it, a job's claim too; a handler's full disk is answered first,
    :func:`tell_cannot_save`)."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if Database.out_of_space(error):
        return True
    if isinstance(error, OperationalError | InterfaceError):
        text = str(getattr(error, "orig", None) or error).lower()
        return any(words in text for words in _OUTAGE)
    return isinstance(error, ConnectionError | OSError) and not isinstance(error, TimeoutError)


class UpdateRetries:
    """Tries left per update; ``later`` schedules the next try or says there is none."""

    __slots__ = ("_tries", "delays")

    def __init__(self, delays: tuple[float, ...] = DELAYS) -> None:
        self.delays = delays
        self._tries: dict[int, int] = {}

    def later(
        self, update_id: int, again: Callable[[], Awaitable[None]], spawn: Callable[..., object]
    ) -> bool:
        """Schedule ``again`` after the next delay; False when the tries are used up."""
        tried = self._tries.get(update_id, 0)
        if tried >= len(self.delays):
            self._tries.pop(update_id, None)
            return False
        self._tries[update_id] = tried + 1
        log.warning(
            "database unreachable; the update will be handled again",
            update_id=update_id,
            attempt=tried + 1,
            delay=self.delays[tried],
        )

        async def retry() -> None:
            await asyncio.sleep(self.delays[tried])
            await again()

        spawn(retry())
        return True

    def tried(self, update_id: int) -> int:
        return self._tries.get(update_id, 0)

    def done(self, update_id: int) -> None:
        self._tries.pop(update_id, None)


def tell_partly_done(update: Update, commits: int) -> Awaitable[None]:
    """Log that ``update`` failed after ``commits`` committed writes and is not handled again;
    the answer to its sender (a pressed button answered, a message replied to), written now
    in the update's language, to be awaited or spawned."""
    ref = secrets.token_hex(3)
    log.error(
        "database unreachable after part of the update was committed; not handled again",
        update_id=update.update_id,
        commits=commits,
        ref=ref,
        exc_info=True,
    )
    text = _(PARTLY_DONE).format(ref=ref)
    return _answer(update, text, ref)


def tell_cannot_save(update: Update, commits: int) -> Awaitable[None]:
    """The answer to ``update`` whose write the database refused for lack of space, in the
    update's language, to be awaited or spawned: "try again later", or, when ``commits``
    writes of it were saved before, that it was partly done (logged with a reference)."""
    ref = secrets.token_hex(3)
    if commits:
        log.warning(
            "disk full after part of the update was committed; not finished",
            update_id=update.update_id,
            commits=commits,
            ref=ref,
        )
        return _answer(update, _(PARTLY_SAVED).format(ref=ref), ref)
    log.info("disk full: the update's write was refused", update_id=update.update_id, ref=ref)
    return _answer(update, _(CANNOT_SAVE), ref)


def _answer(update: Update, text: str, ref: str) -> Awaitable[None]:
    """``text`` to the sender of ``update``: a pressed button answered, a payment check
    refused, a message replied to."""

    async def answer() -> None:
        chat, query = update.effective_chat, update.callback_query
        try:
            if query is not None:
                await query.answer(text, show_alert=True)
            elif update.pre_checkout_query is not None:
                await update.pre_checkout_query.answer(ok=False, error_message=text)
            elif chat is not None and update.effective_message is not None:
                await update.get_bot().send_message(chat.id, text)
        except TelegramError as exc:
            log.warning("the user could not be told", ref=ref, error=str(exc))

    return answer()
