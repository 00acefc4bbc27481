"""Reachability both ways: a user who comes back gets bulk messages again, at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.people import users
from bot.sandbox import SandboxServer
from tests.e2e.conftest import Harness
from tests.helpers.clocks import eventually
from tests.helpers.outbox import OutboxBots, queue

USER = 9100


async def _reachable(h: Harness) -> bool:
    async with h.services.db.session() as session:
        user = await session.get(users.User, USER)
    return bool(user and user.reachable)


@pytest.fixture
async def outbox_blocked(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> AsyncIterator[Harness]:
    """A running bot that learnt from a 403 that USER blocked it."""
    bots = OutboxBots(tmp_path, sandbox, schema_template)
    try:
        h = await bots.start()
        await h.reply(USER, "/start")
        sandbox.world.user(USER).blocked = True
        await queue(h.services.settings.database_url, [USER], tag="first")
        await h.wait(lambda: sandbox.stats["403"] == 1)

        async def unreachable() -> bool:
            return not await _reachable(h)

        await eventually(unreachable)
        yield h
    finally:
        await bots.close()


async def _second_message_arrives(h: Harness) -> None:
    before = len(h.sandbox.world.to(USER))
    await queue(h.services.settings.database_url, [USER], tag="second")
    await h.wait(lambda: len(h.sandbox.world.to(USER)) > before, timeout=10)
    assert h.sandbox.world.to(USER)[-1].text == f"second {USER}"


async def test_user_who_unblocks_gets_bulk_messages_again(outbox_blocked: Harness) -> None:
    """Unblocking (my_chat_member back to member) makes the next bulk message arrive,
    without a restart."""
    outbox_blocked.sandbox.world.block(USER, blocked=False)
    await eventually(lambda: _reachable(outbox_blocked))
    await _second_message_arrives(outbox_blocked)


async def test_user_who_presses_start_again_gets_bulk_messages_again(
    outbox_blocked: Harness,
) -> None:
    """A blocked user who presses /start again (no my_chat_member seen) gets the next bulk
    message, without a restart."""
    outbox_blocked.sandbox.world.user(USER).blocked = False
    await outbox_blocked.reply(USER, "/start")
    await _second_message_arrives(outbox_blocked)
