"""One user floods the real bot with commands; everyone else is still answered at once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_application
from bot.core.lifecycle import serving
from bot.core.telegram.processor import SLOW_DOWN, ChatOrderedUpdateProcessor
from bot.sandbox import FloodLimits, SandboxServer, SentMessage
from tests.conftest import make_settings, migrate
from tests.e2e.conftest import Harness, settle

FLOODER, OTHER = 5_001, 5_002
FLOOD, FLOOD_SECONDS = 100, 2.0
# The flooder's answers are paced by the per-chat limit (5/s here, Telegram allows about 1/s),
# so their updates pile up as they would in production; the sandbox does not 429 them.
PACED = {"rate_private_per_second": 5.0, "rate_private_burst": 3}


@pytest.fixture
async def updates_bot(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> AsyncIterator[Harness]:
    """The whole bot long-polling the sandbox, every module registered."""
    sandbox.set_limits(FloodLimits(private=None))
    settings = make_settings(tmp_path, telegram_api_base_url=sandbox.base_url, **PACED)
    await migrate(settings.database_url, schema_template)
    app = build_application(settings)
    async with serving(app, poll_timeout=1):
        harness = Harness(app, sandbox)
        await settle(harness)
        yield harness


async def _flood(bot: Harness, texts: list[str], then: asyncio.Event) -> None:
    """Type ``texts`` over FLOOD_SECONDS; ``then`` is set after nine tenths of them."""
    for index, text in enumerate(texts):
        bot.sandbox.world.send_text(FLOODER, text)
        if index == len(texts) * 9 // 10:
            then.set()
        await asyncio.sleep(FLOOD_SECONDS / len(texts))


def _dropped(bot: Harness) -> int:
    value = bot.services.metrics.registry.get_sample_value("companion_updates_dropped_total")
    return int(value or 0)


async def _all_handled(bot: Harness) -> list[SentMessage]:
    """Wait until every flooded update was answered or dropped; the flooder's messages."""
    world = bot.sandbox.world

    def answered() -> int:
        return sum(1 for m in world.to(FLOODER) if m.text != SLOW_DOWN)

    await bot.wait(lambda: answered() + _dropped(bot) == FLOOD, timeout=30)
    await bot.wait(lambda: any(m.text == SLOW_DOWN for m in world.to(FLOODER)))
    return world.to(FLOODER)


async def test_flood_of_help_does_not_delay_other_users(updates_bot: Harness) -> None:
    """100 × /help in 2 s from one user: another user's /help, sent when nine tenths of the
    flood are in, is answered before the flooder's queued answers (paced at 5/s by the
    limiter, they take seconds more), not after them; the flooder gets one slow-down answer,
    the excess is dropped and counted."""
    bot, late, world = updates_bot, asyncio.Event(), updates_bot.sandbox.world
    flood = asyncio.create_task(_flood(bot, ["/help"] * FLOOD, late))
    await late.wait()
    (answer,) = await bot.say(OTHER, "/help", timeout=60)  # a hang guard
    await flood
    assert answer.text is not None and answer.text.startswith("Commands you can use")
    messages = await _all_handled(bot)
    answers = [m for m in messages if m.text != SLOW_DOWN]
    order = {id(m): i for i, m in enumerate(world.messages)}
    later = [m for m in answers if order[id(m)] > order[id(answer)]]
    print(f"{len(later)} of the flooder's {len(answers)} answers came after the other's")
    assert later, "the other user was answered only after every answer to the flooder"
    assert [m.text for m in messages].count(SLOW_DOWN) == 1
    assert _dropped(bot) >= FLOOD // 2  # 21 waiting at most, a few answered meanwhile
    processor = bot.app.update_processor
    assert isinstance(processor, ChatOrderedUpdateProcessor)
    await bot.wait(lambda: processor.active_chats == 0)


async def test_flooder_first_commands_answered_in_order(updates_bot: Harness) -> None:
    """The answers the flooder gets follow the order of their commands, the first 20 all
    answered; what was skipped is skipped, never answered out of turn."""
    bot = updates_bot
    texts = [f"/n{i}" for i in range(FLOOD)]
    await _flood(bot, texts, asyncio.Event())
    messages = await _all_handled(bot)
    numbers = [
        int(found.group(1))
        for m in messages
        if (found := re.search(r"/n(\d+)", m.text or "")) is not None
    ]
    assert numbers[:20] == list(range(20))
    assert numbers == sorted(set(numbers))
    assert len(numbers) == FLOOD - _dropped(bot)


GROUP = -1_001_000_000_077


async def test_flood_in_a_group_is_not_answered_in_the_group(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """A member floods a group with /help while each answer takes 0.1 s: the excess is
    dropped and counted, and the group (every member) gets no slow-down notice."""
    sandbox.set_limits(FloodLimits.lifted())
    sandbox.slow["sendMessage"] = 0.1
    settings = make_settings(
        tmp_path, telegram_api_base_url=sandbox.base_url, rate_group_per_minute=6000.0
    )
    await migrate(settings.database_url, schema_template)
    app = build_application(settings)
    async with serving(app, poll_timeout=1):
        bot = Harness(app, sandbox)
        await settle(bot)
        world = sandbox.world
        world.chat(GROUP, "supergroup", "Busy group")
        for _ in range(FLOOD):
            world.send_in_chat(GROUP, FLOODER, "/help")
            await asyncio.sleep(FLOOD_SECONDS / FLOOD)
        await bot.wait(lambda: len(world.to(GROUP)) + _dropped(bot) >= FLOOD, timeout=30)
        await bot.idle(timeout=30)
        texts = [m.text for m in world.to(GROUP)]
        assert _dropped(bot) >= FLOOD // 2
        assert SLOW_DOWN not in texts
        assert len(texts) == FLOOD - _dropped(bot)
        assert world.to(FLOODER) == []
