"""Helpers of the outbox tests: bots started and stopped one by one, a queue filler, and
bot processes for kill -9 / SIGTERM cases."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.core.delivery import Outbox, Priority
from bot.core.delivery.backlog import pending_count
from bot.core.kernel.clock import SystemClock
from bot.core.lifecycle import serving
from bot.sandbox import SandboxServer
from tests.conftest import make_settings, migrate
from tests.e2e.conftest import CHANNEL, Harness
from tests.helpers.factories import add_message
from tests.helpers.owned import opened
from tests.helpers.processes import start_bot


class OutboxBots:
    """Bots on one database and one sandbox; ``stop`` stops one early, ``close`` the rest."""

    __slots__ = ("_running", "sandbox", "template", "tmp_path")

    def __init__(self, tmp_path: Path, sandbox: SandboxServer, template: Path) -> None:
        self.tmp_path, self.sandbox, self.template = tmp_path, sandbox, template
        self._running: dict[int, tuple[Harness, AbstractAsyncContextManager[Any]]] = {}
        sandbox.world.chat(CHANNEL, "channel", "Channel")

    async def start(self, **overrides: Any) -> Harness:
        values = {"telegram_api_base_url": self.sandbox.base_url, "channel_id": CHANNEL}
        settings = make_settings(self.tmp_path, **{**values, **overrides})
        await migrate(settings.database_url, self.template)
        app = build_application(settings)
        context = serving(app, poll_timeout=1)
        await context.__aenter__()
        harness = Harness(app, self.sandbox)
        self._running[id(harness)] = (harness, context)
        return harness

    async def stop(self, harness: Harness) -> None:
        _, context = self._running.pop(id(harness))
        await context.__aexit__(None, None, None)

    async def close(self) -> None:
        for harness, _ in list(self._running.values()):
            await self.stop(harness)


async def queue(
    database_url: str,
    chat_ids: list[int] | range,
    *,
    sandbox: SandboxServer | None = None,
    tag: str = "news",
    priority: int = Priority.BROADCAST,
    category: str = "announcement",
) -> None:
    """One row per entry of ``chat_ids`` (a chat may repeat), keyed ``<tag>:<index>``;
    private chats get a sandbox user."""
    outbox = Outbox(SystemClock())
    async with opened(database_url) as db, db.session() as session:
        for index, chat_id in enumerate(chat_ids):
            if sandbox is not None and chat_id > 0:
                sandbox.world.user(chat_id)
            await add_message(
                session,
                outbox,
                f"{tag}:{index}",
                chat_id,
                text=f"{tag} {chat_id}",
                category=category,
                priority=priority,
            )


def doubled(sandbox: SandboxServer, chat_ids: list[int] | range) -> int:
    """How many messages to ``chat_ids`` arrived more than once."""
    received = Counter(m.chat_id for m in sandbox.world.messages if m.chat_id in set(chat_ids))
    return sum(n - 1 for n in received.values())


async def start_process(
    tmp_path: Path, sandbox: SandboxServer, url: str, **env_overrides: str
) -> asyncio.subprocess.Process:
    """``python -m bot run`` against the sandbox, on ``url``."""
    return await start_bot(tmp_path, sandbox.base_url, url, **env_overrides)


async def all_recorded(database_url: str, timeout: float = 30) -> None:
    """Wait until no outbox row is pending: every outcome is recorded (a row is sent before
    it is recorded), so no process can send anything more of what was queued."""
    async with asyncio.timeout(timeout):
        while True:
            async with opened(database_url) as db, db.session() as session:
                if not await pending_count(session):
                    return
            await asyncio.sleep(0.1)
