"""The console's Overview page (bot/modules/monitoring/console/overview.js) in Chromium, opened
as a Mini App by an admin: live figures, Telegram's theme, a phone and a desktop window."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Page, expect

from bot.core.kernel.clock import ManualClock
from tests.browser.miniapp import DESKTOP, PHONE, THEMES, ConsoleBot, Theme, shoot
from tests.conftest import ADMIN

pytestmark = pytest.mark.asyncio(loop_scope="session")

Opener = Callable[..., Awaitable[Page]]


def rgb(colour: str) -> str:
    """``#rrggbb`` as the browser's computed style writes it."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


async def test_overview_shows_the_bot_live_in_the_theme_and_fits(
    console_bot: ConsoleBot, open_console: Opener
) -> None:
    """An admin's Mini App opens on the Overview: health "ok" and this process as the leader,
    read from the running bot; the page takes Telegram's colours (light and dark) and fits a
    360 px phone without sideways scrolling as well as a desktop window. Screenshots of each
    are saved (docs/console/overview-<theme>-<phone|desktop>.png)."""
    views: list[tuple[Theme, str, Any]] = [
        (theme, name, size)
        for theme in ("light", "dark")
        for name, size in (("phone", PHONE), ("desktop", DESKTOP))
    ]
    for theme, name, size in views:
        page = await open_console(console_bot, theme=theme, viewport=size)
        await expect(page.locator("#tabs button[data-page=overview]")).to_have_attribute(
            "aria-current", "page"
        )
        await expect(page.locator("#health [data-status]")).to_have_attribute("data-status", "ok")
        await expect(page.locator("#instances tr[data-role=leader]")).to_contain_text(
            "this process"
        )
        await expect(page.locator("#updated")).to_be_visible()
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == rgb(THEMES[theme]["bg_color"]), (theme, background)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name}: {overflow} px wider than the window"
        await shoot(page, f"overview-{theme}-{name}")


async def test_an_admin_who_chose_ukrainian_reads_the_console_in_ukrainian(
    console_bot: ConsoleBot, open_console: Opener
) -> None:
    """The console follows the admin's /language choice (not the app's language_code): after
    choosing Українська in the chat, the page titles and texts are Ukrainian."""
    h, world = console_bot.harness, console_bot.harness.sandbox.world
    await h.reply(ADMIN, "/start")
    (menu,) = await h.say(ADMIN, "/language")
    answers = len(world.callback_answers)
    world.press(ADMIN, menu, "lang:set:uk")
    await h.wait(lambda: len(world.callback_answers) > answers)
    assert "Українська" in world.callback_answers[answers].get("text", "")
    page = await open_console(console_bot, theme="dark", language="en")
    await expect(page.locator("#tabs button[data-page=overview]")).to_have_text("Огляд")
    await expect(page.locator("#tabs button[data-page=jobs]")).to_have_text("Завдання")
    await expect(page.locator("html")).to_have_attribute("lang", "uk")
    await expect(page.locator("#updated")).to_be_visible()
    await shoot(page, "overview-dark-phone-uk")


async def test_a_mini_app_left_open_keeps_working_past_the_sign_ins_age(
    console_bot_factory: Callable[..., Awaitable[ConsoleBot]], open_console: Opener
) -> None:
    """The Mini App trades its initData for a session cookie when it opens: two hours later
    (past CONSOLE_AUTH_MAX_AGE, one hour) its polls are still answered, where calls signed with
    that initData alone are refused."""
    clock = ManualClock(datetime.now(UTC))
    bot = await console_bot_factory(clock=clock)
    page = await open_console(bot, theme="light")
    await expect(page.locator("#health [data-status]")).to_have_attribute("data-status", "ok")
    clock.advance(timedelta(hours=2))
    async with page.expect_response(lambda r: r.url.endswith("/console/api/overview")) as polled:
        pass  # the page polls the overview every 5 s
    response = await polled.value
    assert response.status == 200, "the console stopped answering once its initData aged"
    assert response.request.headers.get("authorization") is None  # the cookie, not initData
