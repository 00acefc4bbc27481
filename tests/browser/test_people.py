"""The console's People page (bot/modules/accounts/console/people.js) in Chromium, opened as a
Mini App by an admin: a user found by id and granted VIP from the page gets their invite link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.miniapp import ConsoleBot, shoot
from tests.e2e.conftest import VIP
from tests.helpers.chat import answer

pytestmark = pytest.mark.asyncio(loop_scope="session")

Opener = Callable[..., Awaitable[Page]]
USER = 4242


async def person_page(open_console: Opener, bot: ConsoleBot, **options: Any) -> Page:
    """The People page with ``USER`` looked up by id (one match opens their card)."""
    page = await open_console(bot, **options)
    await page.locator("#tabs button[data-page=people]").click()
    await page.get_by_test_id("people-search").fill(str(USER))
    await page.get_by_test_id("people-find").click()
    await expect(page.get_by_test_id("person")).to_have_attribute("data-user", str(USER))
    await expect(page.get_by_test_id("section-vip")).to_be_visible()
    return page


async def test_a_user_granted_vip_on_the_page_gets_the_link_once(
    console_bot: ConsoleBot, open_console: Opener
) -> None:
    """Grant VIP for 7d on a user's card: the page shows the subscription active, Telegram was
    asked for one join-request link to the VIP chat, the user receives it exactly once, and
    /status in the chat agrees."""
    h, world = console_bot.harness, console_bot.harness.sandbox.world
    await h.reply(USER, "/start")
    page = await person_page(open_console, console_bot)
    await shoot(page, "people-light-phone")

    await page.get_by_test_id("action-input-vip-grant").fill("7d")
    await page.get_by_test_id("action-vip-grant").click()
    await expect(page.get_by_test_id("people-notice")).to_be_visible()
    await expect(page.get_by_test_id("action-vip-revoke")).to_be_visible()

    [link] = world.invite_links
    assert (link["chat_id"], link["creates_join_request"]) == (VIP, True)
    url = link["invite_link"]
    await h.wait(lambda: any(url in (m.text or "") for m in world.to(USER)))
    await h.idle()
    assert sum(url in (m.text or "") for m in world.to(USER)) == 1
    await answer(h, USER, "/status", "active until")

    dark = await person_page(open_console, console_bot, theme="dark")
    await expect(dark.get_by_test_id("action-vip-revoke")).to_be_visible()
    await dark.get_by_test_id("section-vip").scroll_into_view_if_needed()
    await shoot(dark, "people-dark-phone")
