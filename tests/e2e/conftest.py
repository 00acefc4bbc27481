"""The real Application against the sandbox Bot API over loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.core.context import App, Services, services_of
from bot.core.delivery.backlog import pending_count
from bot.core.jobs.models import Trigger
from bot.core.kernel.clock import Clock
from bot.core.lifecycle import serving
from bot.core.telegram.processor import ChatOrderedUpdateProcessor
from bot.sandbox import SandboxServer, SentMessage
from tests.conftest import make_settings, migrate
from tests.helpers.jobs import run_job

SECOND = timedelta(seconds=1)
CHANNEL, VIP = -1_001_000_000_001, -1_001_000_000_002
# Settings for a bot whose replies to one chat are not paced (with the sandbox's per-chat
# limit lifted too): for tests of commands, not of flood control, which has its own tests.
UNPACED: dict[str, Any] = {"rate_private_per_second": 100.0, "rate_private_burst": 100}


@dataclass
class Harness:
    """The running bot and the sandbox it talks to, with a few conveniences."""

    app: App
    sandbox: SandboxServer

    @property
    def services(self) -> Services:
        return services_of(self.app)

    async def run_job(self, name: str, **args: Any) -> str | None:
        """The declared job's function, called as a manual run would (``tests/helpers/jobs.py``)."""
        return await run_job(self.services, self.app.bot, name, **args)

    async def sweep(self) -> None:
        """One scheduled slot of ``missions.sweep`` at the clock's now, through the runner.

        The JobQueue also fires the sweep every minute of real time; a run of it that began
        before the test moved the clock saw an earlier "now" and would make this slot an
        overlap (recorded as missed, nothing swept). So wait for such a run to end first: no
        ``await`` lies between the check and the runner's own lock check. A None answer then
        means a JobQueue run took this very slot, at this "now", and has swept it."""
        runner, now = self.services.runner, self.services.clock.now()
        for _ in range(3000):  # 30 s
            if not runner.is_running("missions.sweep"):
                break
            await asyncio.sleep(0.01)
        else:
            raise TimeoutError("a run of missions.sweep did not end in 30 s")
        record = await runner.run("missions.sweep", trigger=Trigger.SCHEDULED, scheduled_for=now)
        assert record is None or record.status == "succeeded", record

    async def say(
        self, user_id: int, text: str, *, replies: int = 1, timeout: float = 10
    ) -> list[SentMessage]:
        """Send ``text`` as ``user_id`` and wait for ``replies`` new messages to that chat."""
        world = self.sandbox.world
        before = len(world.to(user_id))
        world.send_text(user_id, text)
        await world.wait_until(lambda: len(world.to(user_id)) >= before + replies, timeout)
        return world.to(user_id)[before:]

    async def reply(self, user_id: int, text: str, timeout: float = 10) -> str:
        """Send ``text`` and return the text of the first answer."""
        return (await self.say(user_id, text, timeout=timeout))[0].text or ""

    async def broadcast(self, admin: int, body: str, timeout: float = 10) -> SentMessage:
        """``/broadcast <body>`` as an admin sends one: the preview and the question arrive, the
        admin presses Send; the question, which becomes the progress edited in place."""
        world = self.sandbox.world
        before = len(world.to(admin))
        world.send_text(admin, f"/broadcast {body}")

        def asked() -> SentMessage | None:
            return next((m for m in world.to(admin)[before:] if _send_button(m)), None)

        question: SentMessage = await world.wait_until(asked, timeout)
        send = _send_button(question)
        assert send is not None
        world.press(admin, question, send["callback_data"])
        await world.wait_until(lambda: question.edits > 0, timeout)
        return question

    async def idle(self, timeout: float = 10) -> None:
        """Wait until the bot is done with everything it was given: every update the sandbox
        holds is confirmed (the poller asks past it only once it is in PTB's queue), none is
        queued or being handled (a reply waiting in the limiter is inside its handler), and no
        outbox row is due (a claimed row stays pending until its outcome is recorded); three
        checks in a row, 20 ms apart, so that an update between the queue and its handler's
        start is not missed. "Nothing more was sent" is asserted after this, never after a
        fixed sleep, which a slow machine can end before a duplicate would have arrived."""
        world, app = self.sandbox.world, self.app
        processor = app.update_processor
        assert isinstance(processor, ChatOrderedUpdateProcessor)
        loop = asyncio.get_running_loop()
        deadline, calm = loop.time() + timeout, 0
        while calm < 3:
            busy = (
                world.unconfirmed
                or app.update_queue.qsize()
                or processor.active_chats
                or processor.current_concurrent_updates
            )
            if not busy:
                async with self.services.db.session() as session:
                    now = self.services.clock.now()
                    busy = await pending_count(session, due_before=now + SECOND)
            calm = 0 if busy else calm + 1
            if loop.time() > deadline:
                raise TimeoutError("the bot did not become idle in time")
            await asyncio.sleep(0.02)

    async def wait(self, predicate: Callable[[], Any], timeout: float = 10) -> Any:
        return await self.sandbox.world.wait_until(predicate, timeout)


def _send_button(message: SentMessage) -> dict[str, Any] | None:
    """The Send button of a /broadcast question, if ``message`` is one."""
    found = [b for b in message.buttons() if b.get("callback_data", "").startswith("bcast:go:")]
    return found[0] if found else None


async def settle(h: Harness, timeout: float = 10) -> None:
    """Wait until the outbox has sent everything due, e.g. alerts queued at start-up, so
    that a test's exchange with a chat is not interleaved with them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with asyncio.timeout(timeout):  # catch-up runs in the background after the start
        await h.services.runner.caught_up()
    while True:
        async with h.services.db.session() as session:
            due = await pending_count(session, due_before=h.services.clock.now() + SECOND)
        if not due:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"the outbox still has {due} due message(s)")
        await asyncio.sleep(0.05)


@pytest.fixture
async def harness_factory(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> AsyncIterator[Callable[..., Any]]:
    """Start bots on one database and one sandbox; each is stopped at the end of the test."""
    sandbox.world.chat(CHANNEL, "channel", "Channel")
    sandbox.world.chat(VIP, "supergroup", "VIP")
    stack: list[Any] = []

    async def start(*, clock: Clock | None = None, **overrides: Any) -> Harness:
        values = {
            "telegram_api_base_url": sandbox.base_url,
            "channel_id": CHANNEL,
            "vip_chat_id": VIP,
            **overrides,
        }
        settings = make_settings(tmp_path, **values)
        await migrate(settings.database_url, schema_template)
        app = build_application(settings, clock=clock)
        context = serving(app, poll_timeout=1)
        await context.__aenter__()
        stack.append(context)
        return Harness(app, sandbox)

    try:
        yield start
    finally:
        for context in reversed(stack):
            await context.__aexit__(None, None, None)


@pytest.fixture
async def harness(harness_factory: Callable[..., Any]) -> Harness:
    harness: Harness = await harness_factory()
    return harness
