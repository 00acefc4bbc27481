"""The console's Charts page (bot/modules/analytics/console/charts.js) in Chromium, opened as
a Mini App by an admin: the figures drawn in the page with the vendored uPlot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.miniapp import DESKTOP, ConsoleBot, shoot
from tests.helpers.factories import register_users

pytestmark = pytest.mark.asyncio(loop_scope="session")

Opener = Callable[..., Awaitable[Page]]
USERS = range(50_000, 50_012)


async def test_the_charts_are_drawn_with_todays_figures(
    console_bot: ConsoleBot, open_console: Opener
) -> None:
    """On a bot with 12 users the Charts page draws its three charts (uPlot's canvases, its
    script loaded from the console's own static files) and shows 12 users, on a phone in both
    themes and on a desktop."""
    await register_users(console_bot.harness.services, USERS)
    for theme, size, name in (
        ("light", None, "phone"),
        ("dark", None, "phone"),
        ("light", DESKTOP, "desktop"),
    ):
        options = {"theme": theme} | ({"viewport": size} if size else {})
        page = await open_console(console_bot, **options)
        await page.locator("#tabs button[data-page=charts]").click()
        await expect(page.get_by_test_id("total-users")).to_have_text(str(len(USERS)))
        for chart in ("chart-users", "chart-missions", "chart-revenue"):
            await expect(page.get_by_test_id(chart).locator("canvas").first).to_be_visible()
        await shoot(page, f"charts-{theme}-{name}")
