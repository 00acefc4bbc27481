"""Webhook delivery as Telegram does it: every update POSTed to the bot's URL as JSON.

The secret given to ``setWebhook`` travels in ``X-Telegram-Bot-Api-Secret-Token``. An
update is forgotten once the bot answers 2xx; any other answer (or none) is retried
with backoff, so an update can reach a bot twice. Updates of one chat go one after
another; different chats use up to ``max_connections`` requests at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import aiohttp

from bot.sandbox.world import JSON, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BACKOFF = (0.1, 0.3, 1.0, 2.0)


def _chat_of(update: JSON) -> Any:
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict):
                return chat.get("id")
            sender = value.get("from")
            if isinstance(sender, dict):
                return sender.get("id")
    return None


class WebhookDelivery:
    """Delivers the world's updates to ``url`` until stopped."""

    __slots__ = ("_chats", "_limit", "_task", "secret", "stats", "url", "world")

    def __init__(self, world: World, url: str, secret: str | None, max_connections: int) -> None:
        self.world, self.url, self.secret = world, url, secret
        self.stats: Counter[str] = Counter()
        self._limit = asyncio.Semaphore(max(1, min(100, max_connections)))
        self._chats: dict[Any, asyncio.Lock] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        last = 0
        headers = {SECRET_HEADER: self.secret} if self.secret else {}
        async with aiohttp.ClientSession(headers=headers) as http, asyncio.TaskGroup() as group:
            while True:
                pending = self.world.pending_updates(last)
                if not pending:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.2):
                            await self.world.next_update()
                    continue
                for update in pending:
                    last = max(last, int(update["update_id"]))
                    group.create_task(self._deliver(http, update))

    async def _deliver(self, http: aiohttp.ClientSession, update: JSON) -> None:
        lock = self._chats.setdefault(_chat_of(update), asyncio.Lock())
        async with lock, self._limit:
            attempt = 0
            while True:
                try:
                    async with http.post(self.url, json=update) as response:
                        status = response.status
                except aiohttp.ClientError:
                    status = 0
                self.stats[str(status)] += 1
                if 200 <= status < 300:
                    self.world.confirm(int(update["update_id"]))
                    return
                await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                attempt += 1
