"""The way of one update from its chat's turn to its handler: a short list of steps.

``Application.process_update`` runs the steps in order; each is a small object with one
``async def __call__(update, proceed)`` that does its part and calls ``proceed()`` to go on
(or does not, to stop the update there), like aiogram's outer middlewares. The steps, in
the order the composition root lists them:

1. :class:`LogContext`: ``update_id`` and ``chat_id`` on every log line of the update;
2. with a webhook, :class:`~bot.core.telegram.received.InChatOrder`: one update of a chat at
   a time across the replicas, in ``update_id`` order, and an update a replica of the
   cluster already took is dropped (an outage of the database while checking: the update is
   tried again later); :class:`Deduplicate` is the drop alone;
3. :class:`Language`: for an update a handler takes, the user's language, resolved once
   and read only (no write in this path); texts of the update are written in it;
4. :class:`Handlers`, the last: PTB's dispatch to the handlers that take the update,
   tried again a little later (a few times) when the database did not answer and the
   update had committed nothing yet (else its sender is told it was partly done); a
   write refused for lack of space is answered at once ("try again later").

Every step can be built and tested alone, with the few parts it uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

import structlog
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatJoinRequestHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    PaidMediaPurchasedHandler,
    PreCheckoutQueryHandler,
)

from bot.core.kernel import Cache, Clock, Database, committed, counting_commits, get_logger
from bot.core.people import answer_language, on_record, record_language_code, speaking
from bot.core.telegram.outage import (
    UpdateRetries,
    database_unreachable,
    tell_cannot_save,
    tell_partly_done,
)
from bot.core.telegram.received import first_time

log = get_logger(__name__)

Proceed = Callable[[], Awaitable[None]]


class Step(Protocol):
    """One part of the way of an update; calls ``proceed()`` to hand it on."""

    async def __call__(self, update: Update, proceed: Proceed) -> None: ...


async def run(steps: Sequence[Step], update: Update) -> None:
    """``update`` through ``steps`` in order, until one does not proceed."""

    async def at(index: int) -> None:
        if index < len(steps):
            await steps[index](update, lambda: at(index + 1))

    await at(0)


async def _end() -> None:
    return None


class LogContext:
    """``update_id`` and ``chat_id`` bound to every log line of the update."""

    __slots__ = ()

    async def __call__(self, update: Update, proceed: Proceed) -> None:
        chat = update.effective_chat
        with structlog.contextvars.bound_contextvars(
            update_id=update.update_id, chat_id=chat.id if chat else None
        ):
            await proceed()


class Deduplicate:
    """Behind a webhook, Telegram's retries and a load balancer may hand one update to two
    replicas: the first to record its ``update_id`` handles it, the others drop it. When
    the database does not answer, ``again(update)`` schedules a later try (False: no tries
    left, and the error goes on to the error handlers)."""

    __slots__ = ("again", "clock", "db")

    def __init__(self, db: Database, clock: Clock, again: Callable[[Update], bool]) -> None:
        self.db, self.clock, self.again = db, clock, again

    async def __call__(self, update: Update, proceed: Proceed) -> None:
        try:
            first = await first_time(self.db, update.update_id, self.clock.now())
        except Exception as exc:
            if database_unreachable(exc) and self.again(update):
                return
            raise
        if not first:
            log.info("update already handled by this cluster", update_id=update.update_id)
            return
        await proceed()


class Language:
    """The user's language for an update some handler takes (``taken``): their stored
    choice (through ``cache``), else Telegram's ``language_code``, else the default. Read
    once; an update no handler takes is not looked up at all. A ``language_code`` that
    changed since it was recorded (the user switched their app) is recorded, apart from
    the read, so that bulk messages follow it."""

    __slots__ = ("cache", "db", "taken")

    def __init__(self, db: Database, cache: Cache, taken: Callable[[Update], bool]) -> None:
        self.db, self.cache, self.taken = db, cache, taken

    async def __call__(self, update: Update, proceed: Proceed) -> None:
        user = update.effective_user
        if user is None or not self.taken(update):
            await proceed()
            return
        code = user.language_code
        record = await on_record(self.db, self.cache, user.id)
        if record is not None and code and record.outdated_by(code):
            await record_language_code(self.db, self.cache, user.id, code)
        with speaking(answer_language(record, code)):
            await proceed()


class Handlers:
    """The last step: ``dispatch`` (PTB's ``Application.process_update``, which runs the
    handlers that take the update). A handler that failed because the database is away
    has the update handled again a little later (:meth:`again`, called from the error
    path), a few times, before the error handlers tell the user; unless a transaction of
    the update had already committed a write, which a new try would repeat. While the
    database's disk is full (``disk_full()``), a payment's pre-checkout is refused before
    any handler: the payment it would let through could not be stored when it arrives."""

    __slots__ = ("disk_full", "dispatch", "retries", "spawn")

    def __init__(
        self,
        dispatch: Callable[[Update], Awaitable[None]],
        spawn: Callable[..., object],
        retries: UpdateRetries | None = None,
        disk_full: Callable[[], bool] = lambda: False,
    ) -> None:
        self.dispatch, self.spawn, self.disk_full = dispatch, spawn, disk_full
        self.retries = retries or UpdateRetries()

    async def __call__(self, update: Update, proceed: Proceed = _end) -> None:
        if update.pre_checkout_query is not None and self.disk_full():
            await tell_cannot_save(update, 0)
            return
        tried = self.retries.tried(update.update_id)
        with counting_commits():
            await self.dispatch(update)
        if self.retries.tried(update.update_id) == tried:  # handled: no new try was scheduled
            self.retries.done(update.update_id)
        await proceed()

    def again(self, update: Update, error: BaseException | None = None) -> bool:
        """Handle ``update`` again a little later; False when its tries ran out. An update
        that committed a write before the database went away is not handled again (that
        part would be done twice): its sender is told it was partly done, and True (the
        error is answered). Nor is one whose ``error`` is a write refused for lack of
        space (a full disk lasts until someone frees space): its sender is told at once
        that it cannot be saved now."""
        commits = committed()
        if Database.out_of_space(error):
            self.retries.done(update.update_id)
            self.spawn(tell_cannot_save(update, commits))
            return True
        if commits:
            self.spawn(tell_partly_done(update, commits))
            return True
        return self.retries.later(update.update_id, lambda: self(update), self.spawn)


HandlerGroups = dict[int, list[BaseHandler[Any, Any, Any]]]


def taken_by(handlers: HandlerGroups) -> Callable[[Update], bool]:
    """Whether a handler of ``handlers`` (PTB's groups) would take an update: the same
    ``check_update`` test the application makes before it runs one."""

    def taken(update: Update) -> bool:
        for group in handlers.values():
            for handler in group:
                check = handler.check_update(update)
                if check is not None and check is not False:
                    return True
        return False

    return taken


# The update types each kind of handler can take (as PTB's check_update reads them).
_MESSAGES = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CHANNEL_POST,
    Update.EDITED_CHANNEL_POST,
    Update.BUSINESS_MESSAGE,
    Update.EDITED_BUSINESS_MESSAGE,
)
_TAKES: tuple[tuple[type[BaseHandler[Any, Any, Any]], tuple[str, ...]], ...] = (
    (CommandHandler, (Update.MESSAGE, Update.EDITED_MESSAGE)),
    (MessageHandler, _MESSAGES),
    (CallbackQueryHandler, (Update.CALLBACK_QUERY,)),
    (PreCheckoutQueryHandler, (Update.PRE_CHECKOUT_QUERY,)),
    (ChatJoinRequestHandler, (Update.CHAT_JOIN_REQUEST,)),
    (PaidMediaPurchasedHandler, (Update.PURCHASED_PAID_MEDIA,)),
)


def used_update_types(handlers: Iterable[BaseHandler[Any, Any, Any]]) -> list[str]:
    """The ``allowed_updates`` the declared handlers need, in Telegram's order (as aiogram's
    ``resolve_used_update_types``): Telegram sends nothing else. A handler of a kind not
    known here asks for every type, so nothing a module declares is ever starved."""
    wanted: set[str] = set()
    for handler in handlers:
        if isinstance(handler, ChatMemberHandler):
            wanted.update(_member_types(handler.chat_member_types))
            continue
        for kind, types in _TAKES:
            if isinstance(handler, kind):
                wanted.update(types)
                break
        else:
            return list(Update.ALL_TYPES)
    return [kind for kind in Update.ALL_TYPES if kind in wanted]


def _member_types(chat_member_types: int | None) -> tuple[str, ...]:
    if chat_member_types == ChatMemberHandler.MY_CHAT_MEMBER:
        return (Update.MY_CHAT_MEMBER,)
    if chat_member_types == ChatMemberHandler.CHAT_MEMBER:
        return (Update.CHAT_MEMBER,)
    return (Update.MY_CHAT_MEMBER, Update.CHAT_MEMBER)
