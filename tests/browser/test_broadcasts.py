"""The console's Broadcasts page (bot/modules/broadcast/console/broadcasts.js) in Chromium,
opened as a Mini App by an admin: a running broadcast cancelled from the page stops in the
sandbox."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Page, expect

from bot.modules.broadcast.service import announcement
from tests.browser.miniapp import ConsoleBot, shoot
from tests.conftest import ADMIN
from tests.helpers.factories import register_users

pytestmark = pytest.mark.asyncio(loop_scope="session")

Opener = Callable[..., Awaitable[Page]]
AUDIENCE = range(30_000, 30_300)
TEXT = "Sale ends tonight"
ENDS_IN_0 = re.compile(r"\D0\s*$")


async def broadcasts_page(open_console: Opener, bot: ConsoleBot, **options: Any) -> Page:
    page = await open_console(bot, **options)
    await page.locator("#tabs button[data-page=broadcasts]").click()
    await expect(page.get_by_test_id("broadcast-row").first).to_be_visible()
    return page


async def test_a_broadcast_cancelled_from_the_page_stops_in_the_sandbox(
    console_bot_factory: Callable[..., Awaitable[ConsoleBot]], open_console: Opener
) -> None:
    """A broadcast to 300 users (the bot sending 10 a second) is cancelled on the page while it
    runs: the page shows it cancelled, nothing of it waiting or in flight once the messages the
    sender already held are sent, and the sandbox then holds fewer than 300 copies, none twice,
    exactly the number the page reports delivered; nothing more arrives."""
    bot = await console_bot_factory(rate_global_per_second=10.0)
    h, world = bot.harness, bot.harness.sandbox.world
    await register_users(h.services, AUDIENCE, world=world)
    await h.broadcast(ADMIN, TEXT)

    page = await broadcasts_page(open_console, bot)
    row = page.get_by_test_id("broadcast-row").first
    await expect(row).to_have_attribute("data-state", "running")
    await shoot(page, "broadcasts-light-phone")
    await row.get_by_test_id("broadcast-cancel").click()
    await page.get_by_test_id("broadcast-confirm-yes").click()
    await expect(row).to_have_attribute("data-state", "cancelled")

    for settled in ("waiting", "in_flight"):  # rows the sender already held are sent
        await expect(row.locator(f"[data-count={settled}]")).to_have_text(ENDS_IN_0, timeout=15_000)
    await h.idle()
    received = [
        m.chat_id for m in world.messages if m.text == announcement(TEXT) and m.chat_id != ADMIN
    ]
    assert len(received) < len(AUDIENCE)
    assert len(set(received)) == len(received)
    delivered = row.locator("[data-count=delivered]")
    await expect(delivered).to_have_text(re.compile(rf"\D{len(received)}\s*$"))

    dark = await broadcasts_page(open_console, bot, theme="dark")
    await expect(dark.get_by_test_id("broadcast-row").first).to_have_attribute(
        "data-state", "cancelled"
    )
    await shoot(dark, "broadcasts-dark-phone")
    again = [m.chat_id for m in world.messages if m.text == announcement(TEXT)]
    assert [chat for chat in again if chat != ADMIN] == received
