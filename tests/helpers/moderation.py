"""Steps of the moderation tests: a bot with moderators, review cards, presses, the rows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.modules.content.models import Post
from bot.modules.moderation.models import Submission
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.clocks import START

AUTHOR = 5


async def moderated_bot(
    factory: Callable[..., Any], clock: ManualClock | None = None, **overrides: Any
) -> Harness:
    """A bot (admin 1 moderates by default) whose chats are not flood-paced."""
    h: Harness = await factory(clock=clock or ManualClock(START), **{**UNPACED, **overrides})
    h.sandbox.set_limits(FloodLimits(private=None, group=None))
    for moderator in h.services.settings.moderators:
        h.sandbox.world.user(moderator)  # they have opened a chat with the bot
    return h


async def card_for(h: Harness, chat_id: int, submission_id: int) -> SentMessage:
    """The review card of ``submission_id`` delivered to ``chat_id``."""
    head = f"Suggestion #{submission_id}"

    def found() -> SentMessage | None:
        return next(
            (m for m in h.sandbox.world.to(chat_id) if (m.text or "").startswith(head)), None
        )

    card: SentMessage = await h.wait(found)
    return card


async def press(h: Harness, user_id: int, message: SentMessage, data: str) -> str:
    """Press a button (any data, forged or not); the text the bot answered the press with."""
    world = h.sandbox.world
    query_id = world.press(user_id, message, data)

    def answered() -> dict[str, Any] | None:
        return next(
            (a for a in world.callback_answers if a.get("callback_query_id") == query_id), None
        )

    answer: dict[str, Any] = await h.wait(answered)
    return str(answer.get("text", ""))


async def submissions(h: Harness) -> list[Submission]:
    async with h.services.db.session() as session:
        return list(await session.scalars(select(Submission).order_by(Submission.id)))


async def posts(h: Harness) -> list[Post]:
    async with h.services.db.session() as session:
        return list(await session.scalars(select(Post).order_by(Post.id)))


async def author_notices(h: Harness, submission_id: int) -> list[OutboxMessage]:
    """The outbox rows telling the author about ``submission_id``."""
    async with h.services.db.session() as session:
        query = select(OutboxMessage).where(
            OutboxMessage.key.startswith(f"moderation:{submission_id}:")
        )
        return list(await session.scalars(query))


async def states(h: Harness, expected: list[str], timeout: float = 10) -> list[Submission]:
    """Wait until the submissions' states are ``expected`` (in id order); the rows."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        rows = await submissions(h)
        if [s.state for s in rows] == expected:
            return rows
        if loop.time() > deadline:
            raise AssertionError(f"states {[s.state for s in rows]}, expected {expected}")
        await asyncio.sleep(0.05)
