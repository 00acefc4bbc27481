"""Update processing: fair across chats, strictly in order within one chat, bounded per chat.

PTB's ``SimpleUpdateProcessor`` runs updates concurrently with no regard for the
chat, so a user's ``/start`` and the ``/mission`` they typed right after may be
handled in the other order. Users expect a conversation to be answered in the
order they spoke; different users must not wait for each other.

An update first waits for its chat's turn and only then takes one of the global
slots: a chat holds at most one slot however many updates it sent, so one user
flooding 100 commands cannot fill the slots and make everyone else wait. A chat's
backlog is capped; beyond it, messages and button presses are dropped (counted,
logged once per burst) and a private chat gets one "slow down" answer (a group none: it
would reach every member).

A button press waits in a queue of its own, behind the chat's earlier presses only, never
behind the chat's messages: its answer (``answerCallbackQuery``, which the rate limiter lets
through unpaced, as Telegram does not count it) stops the user's spinner, and must not wait
for replies that a busy group's flood limit holds back.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from bot.core.kernel import get_logger
from bot.core.people import N_, _, choose, speaking

log = get_logger(__name__)

SLOW_DOWN = N_("You're sending messages too fast; I'll skip some — please wait a moment.")
WARN_EVERY = 30.0  # seconds: at most one slow-down answer per chat in this time
DEFAULT_BACKLOG = 20
# PTB takes its own semaphore before ``do_process_update``; it must admit every update, or
# updates waiting for their chat's turn would hold its slots. This class bounds them instead.
_ADMIT_ALL = sys.maxsize

SlowDown = Callable[[Update], Awaitable[None]]
# The queue an update waits in: (its chat, whether it is the queue of the chat's presses).
Queue = tuple[int, bool]


async def answer_slow_down(update: Update) -> None:
    """Tell a private chat it is over its backlog (through the bot's rate limiter), in the
    language the sender's Telegram app is set to (a flood is not worth a database read).
    A group is told nothing: the notice would reach every member for one member's flood
    (the drop itself is logged and counted)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type != chat.PRIVATE:
        return
    with speaking(choose(None, user.language_code if user else None)):
        text = _(SLOW_DOWN)
    try:
        await update.get_bot().send_message(chat.id, text)
    except TelegramError as exc:
        log.warning("slow-down answer not sent", chat_id=chat.id, error=str(exc))


def droppable(update: object) -> bool:
    """Chatter that may be skipped: texts, captions and button presses. Payments, member
    changes, migrations and other service messages are always handled."""
    if not isinstance(update, Update):
        return False
    if update.callback_query is not None:
        return True
    message = update.message or update.edited_message
    if message is None or message.successful_payment or message.refunded_payment:
        return False
    return bool(message.text or message.caption)


class _Chat:
    """One active chat: its FIFO turn lock, how many of its updates are in, how many dropped."""

    __slots__ = ("dropped", "lock", "queued")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.queued = 0  # the one running (or waiting for a global slot) plus those waiting
        self.dropped = 0  # in this burst


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """One chat's updates one after another (FIFO), then at most ``max_concurrent_updates``
    running overall; at most ``backlog`` waiting per chat.

    State exists only while a chat has updates in (plus a slow-down timestamp for
    ``WARN_EVERY`` seconds), so memory follows active chats, not every chat ever seen.
    PTB's ``max_concurrent_updates`` is the bound of its own semaphore (admit all);
    ``current_concurrent_updates`` counts the updates actually being handled.
    """

    __slots__ = (
        "_chats",
        "_running",
        "_slots",
        "_warned",
        "backlog",
        "on_drop",
        "slow_down",
    )

    def __init__(
        self,
        max_concurrent_updates: int,
        *,
        backlog: int = DEFAULT_BACKLOG,
        on_drop: Callable[[], object] | None = None,
        slow_down: SlowDown = answer_slow_down,
    ) -> None:
        if max_concurrent_updates < 1 or backlog < 1:
            raise ValueError("max_concurrent_updates and backlog must be positive")
        super().__init__(_ADMIT_ALL)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._running = 0
        self._chats: dict[Queue, _Chat] = {}
        self._warned: dict[int, float] = {}  # chat -> monotonic time of its last slow-down
        self.backlog = backlog
        self.on_drop = on_drop
        self.slow_down = slow_down

    @property
    def active_chats(self) -> int:
        return len(self._chats)

    @property
    def current_concurrent_updates(self) -> int:
        """Updates being handled now (not those waiting for their chat's turn)."""
        return self._running

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        queue = _queue(update)
        if queue is None:
            await self._run(coroutine)
            return
        chat = self._chats.get(queue)
        if chat is None:
            chat = self._chats[queue] = _Chat()
        if chat.queued > self.backlog and droppable(update):
            await self._drop(queue[0], chat, update, coroutine)
            return
        chat.queued += 1
        try:
            async with chat.lock:
                await self._run(coroutine)
        finally:
            chat.queued -= 1
            if chat.queued == 0:
                del self._chats[queue]
                self._forget_warnings(time.monotonic())

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        async with self._slots:
            self._running += 1
            try:
                await coroutine
            finally:
                self._running -= 1

    async def _drop(self, chat_id: int, chat: _Chat, update: object, coroutine: object) -> None:
        if inspect.iscoroutine(coroutine):
            coroutine.close()  # never started: no "was never awaited" warning
        chat.dropped += 1
        if self.on_drop is not None:
            self.on_drop()
        if chat.dropped > 1:
            return
        log.warning("chat over its backlog, dropping updates", chat_id=chat_id, limit=self.backlog)
        if isinstance(update, Update) and self._may_warn(chat_id):
            await self.slow_down(update)

    def _may_warn(self, chat_id: int) -> bool:
        """One slow-down answer per chat per ``WARN_EVERY``."""
        now = time.monotonic()
        self._forget_warnings(now)
        if chat_id in self._warned:
            return False
        self._warned[chat_id] = now
        return True

    def _forget_warnings(self, now: float) -> None:
        """Drop slow-down times older than ``WARN_EVERY`` (insertion order is time order, so
        the expired ones are at the front: usually one look)."""
        while self._warned:
            first = next(iter(self._warned))
            if self._warned[first] > now - WARN_EVERY:
                return
            del self._warned[first]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _queue(update: object) -> Queue | None:
    """The chat's queue, or the queue of its presses for a button press."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return None
    return update.effective_chat.id, update.callback_query is not None
