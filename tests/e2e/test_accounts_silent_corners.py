"""No silent corners: plain text gets a pointer to /help, and /help offers what works."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.core.kernel.clock import ManualClock
from bot.modules.accounts.handlers import POINTER
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.chat import answer
from tests.helpers.clocks import START

USER, GROUP = 6161, -100_777


async def unpaced(factory: Callable[..., Any], **overrides: Any) -> Harness:
    h: Harness = await factory(clock=ManualClock(START), **{**UNPACED, **overrides})
    h.sandbox.set_limits(FloodLimits(private=None, group=None))
    return h


async def texts_until_help(h: Harness, user_id: int, since: int) -> list[str]:
    """What the chat got from message ``since`` up to the answer of a /help sent now:
    updates of one chat are handled in order, so a pointer owed to earlier messages has
    arrived by then."""
    await answer(h, user_id, "/help", "Commands you can use")
    return [m.text or "" for m in h.sandbox.world.to(user_id)[since:]]


async def test_plain_text_gets_a_pointer_once_a_minute(
    harness_factory: Callable[..., Any],
) -> None:
    """ "hello bot" in a private chat is answered with a pointer to /help; more text within
    a minute is not; a minute later it is again."""
    h = await unpaced(harness_factory)
    assert await h.reply(USER, "hello bot") == POINTER
    h.sandbox.world.send_text(USER, "are you there?")
    assert (await texts_until_help(h, USER, 0)).count(POINTER) == 1
    h.services.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
    assert await h.reply(USER, "still there?") == POINTER


async def test_no_pointer_in_groups(harness_factory: Callable[..., Any]) -> None:
    """Plain text in a group gets nothing (the bot does not chat in groups)."""
    h = await unpaced(harness_factory)
    world = h.sandbox.world
    world.chat(GROUP, "supergroup", "Friends")
    world.send_in_chat(GROUP, USER, "hello everyone")
    world.send_in_chat(GROUP, USER, "/help")
    await h.wait(lambda: world.to(GROUP))
    assert (world.to(GROUP)[0].text or "").startswith("Commands you can use")


async def test_no_pointer_for_a_message_moderation_took(
    harness_factory: Callable[..., Any],
) -> None:
    """The post sent after a bare /suggest is a suggestion, not chatter: no pointer."""
    h = await unpaced(harness_factory)
    await answer(h, USER, "/suggest", "Send the post now")
    h.sandbox.world.send_text(USER, "A sunset over the harbour, taken this morning")
    texts = await texts_until_help(h, USER, 1)
    assert POINTER not in texts and any("uggestion" in t for t in texts)


@pytest.mark.parametrize(("price", "offered"), [(0, False), (50, True)])
async def test_help_offers_subscribe_only_when_it_sells(
    harness_factory: Callable[..., Any], price: int, offered: bool
) -> None:
    """With VIP_STARS_PRICE=0 /help leaves /subscribe out; with a price it lists it."""
    h = await unpaced(harness_factory, vip_stars_price=price)
    assert ("/subscribe" in await h.reply(USER, "/help")) is offered


async def test_help_offers_suggest_only_where_it_leads(
    harness_factory: Callable[..., Any],
) -> None:
    """Without a channel there is nothing to suggest for: /suggest is not offered."""
    h = await unpaced(harness_factory, channel_id=None)
    text = await h.reply(USER, "/help")
    assert "/suggest" not in text and "/mysuggestions" not in text and "/start" in text


async def test_help_shows_each_staff_their_commands(harness_factory: Callable[..., Any]) -> None:
    """A moderator who is not an admin sees /modqueue, not /grant; a user sees neither."""
    moderator = 7171
    h = await unpaced(harness_factory, moderator_ids=str(moderator))
    theirs = await h.reply(moderator, "/help")
    assert "/modqueue" in theirs and "/grant" not in theirs
    user = await h.reply(USER, "/help")
    assert "/modqueue" not in user and "/grant" not in user and "/suggest" in user
    admin = await h.reply(ADMIN, "/help")
    assert "/grant" in admin and "/modqueue" not in admin
