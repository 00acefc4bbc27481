"""Update processing: concurrent across chats, strictly in order within one chat.

PTB's ``SimpleUpdateProcessor`` runs updates concurrently with no regard for the
chat, so a user's ``/start`` and the ``/mission`` they typed right after may be
handled in the other order. Users expect a conversation to be answered in the
order they spoke; different users must not wait for each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class _ChatLock:
    __slots__ = ("holders", "lock")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.holders = 0


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """One chat's updates one after another (FIFO); up to ``max_concurrent_updates`` overall.

    A lock exists only while a chat has updates in flight, so memory follows the
    number of active chats, not of all chats ever seen.
    """

    __slots__ = ("_chats",)

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[int, _ChatLock] = {}

    @property
    def active_chats(self) -> int:
        return len(self._chats)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        entry = self._chats.setdefault(chat.id, _ChatLock())
        entry.holders += 1
        try:
            async with entry.lock:
                await coroutine
        finally:
            entry.holders -= 1
            if entry.holders == 0:
                del self._chats[chat.id]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to release."""
