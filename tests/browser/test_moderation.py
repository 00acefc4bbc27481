"""The console's Moderation page (bot/modules/moderation/console/moderation.js) in Chromium,
opened as a Mini App by a moderator who is not an admin: they see that page alone, and a
suggestion approved there reaches its author once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Page, expect

from bot.sandbox.flood import FloodLimits
from tests.browser.miniapp import ConsoleBot, shoot
from tests.conftest import ADMIN
from tests.helpers.chat import answer
from tests.helpers.moderation import AUTHOR, card_for, submissions

pytestmark = pytest.mark.asyncio(loop_scope="session")

Opener = Callable[..., Awaitable[Page]]
MODERATOR = 77
APPROVED = "was approved"


async def suggest(bot: ConsoleBot, text: str) -> int:
    """``AUTHOR`` suggests ``text``; its id once the review card reached the admin."""
    h = bot.harness
    await answer(h, AUTHOR, f"/suggest {text}", "waits for review")
    ident = (await submissions(h))[-1].id
    await card_for(h, ADMIN, ident)
    return ident


async def moderation_page(open_console: Opener, bot: ConsoleBot, **options: Any) -> Page:
    page = await open_console(bot, user_id=MODERATOR, **options)
    await expect(page.locator("#tabs button[data-page=moderation]")).to_have_attribute(
        "aria-current", "page"
    )
    return page


async def test_a_suggestion_approved_on_the_page_reaches_its_author_once(
    console_bot_factory: Callable[..., Awaitable[ConsoleBot]], open_console: Opener
) -> None:
    """A moderator (not an admin) opens the console: the Moderation page is their only page and
    lists the waiting suggestions; Approve on one tells its author once that it was approved
    and edits the admin's review card; the other stays in the queue."""
    bot = await console_bot_factory(moderator_ids=f"{ADMIN},{MODERATOR}")
    h, world = bot.harness, bot.harness.sandbox.world
    h.sandbox.set_limits(FloodLimits(private=None, group=None))
    world.user(ADMIN)  # has opened a chat with the bot (the review cards go there)
    await answer(h, MODERATOR, "/start", "")
    first = await suggest(bot, "Hello channel, from the console")
    second = await suggest(bot, "Another one")

    page = await moderation_page(open_console, bot)
    tabs = await page.locator("#tabs button").evaluate_all("bs => bs.map(b => b.dataset.page)")
    assert tabs == ["moderation"]
    cards = page.get_by_test_id("suggestion")
    await expect(cards).to_have_count(2)
    await shoot(page, "moderation-light-phone")

    await (
        page.locator(f'[data-testid=suggestion][data-id="{first}"]')
        .get_by_test_id("approve")
        .click()
    )
    await expect(page.get_by_test_id("moderation-notice")).to_have_attribute("data-kind", "good")
    await expect(cards).to_have_count(1)
    await expect(cards).to_have_attribute("data-id", str(second))

    card = await card_for(h, ADMIN, first)
    await h.wait(lambda: "Approved by" in (card.text or ""))
    await h.wait(lambda: any(APPROVED in (m.text or "") for m in world.to(AUTHOR)))
    await h.idle()
    told = [m.text for m in world.to(AUTHOR) if APPROVED in (m.text or "")]
    assert len(told) == 1 and f"#{first} " in (told[0] or ""), told

    dark = await moderation_page(open_console, bot, theme="dark")
    await expect(dark.get_by_test_id("suggestion")).to_have_count(1)
    await shoot(dark, "moderation-dark-phone")
