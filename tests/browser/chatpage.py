"""The sandbox's chat page (bot/sandbox/web.py) in Chromium: served beside a running bot's
sandbox as `make run` serves it, opened in a browser context that reaches loopback alone;
its screenshots."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Locator, Page, ViewportSize

from bot.sandbox.web import ChatPage, serve_page
from tests.browser.miniapp import ROOT, ConsoleBot, only_loopback

# Where the chat page's screenshots go; `make screenshots` points it at docs/sandbox/.
SCREENSHOTS = Path(os.environ.get("SANDBOX_SCREENSHOTS") or ROOT / ".pytest_cache" / "sandbox")
WIDE: ViewportSize = {"width": 1600, "height": 900}


@dataclass
class Opened:
    """The page in the browser, the chat page serving it, what the page threw."""

    page: Page
    served: ChatPage
    errors: list[str] = field(default_factory=list)

    def pane(self, chat_id: int) -> Locator:
        return self.page.locator(f'[data-testid=pane][data-chat="{chat_id}"]')

    def message(self, chat_id: int, text: str) -> Locator:
        """The bot's message in ``chat_id``'s pane containing ``text``."""
        return self.pane(chat_id).get_by_test_id("message").filter(has_text=text)

    async def write(self, chat_id: int, text: str) -> None:
        """Type ``text`` in the pane's box and send it."""
        pane = self.pane(chat_id)
        await pane.get_by_test_id("compose").fill(text)
        await pane.get_by_test_id("send").click()


@asynccontextmanager
async def chat_page(
    chromium: Browser, bot: ConsoleBot, panes: Sequence[int], viewport: ViewportSize = WIDE
) -> AsyncIterator[Opened]:
    """Serve the chat page of ``bot``'s sandbox and open it with ``panes`` open; the test
    fails if the page threw."""
    h = bot.harness
    served = await serve_page(h.sandbox, h.services.settings, h.app, "127.0.0.1", 0)
    context = await chromium.new_context(viewport=viewport, device_scale_factor=1)
    try:
        await context.route("**/*", lambda route: only_loopback(route, ""))
        page = await context.new_page()
        opened = Opened(page, served)
        page.on("pageerror", lambda error: opened.errors.append(str(error)))
        await page.goto(served.url + "?open=" + ",".join(map(str, panes)))
        yield opened
        assert not opened.errors, f"the chat page threw: {opened.errors}"
    finally:
        await context.close()
        await served.stop()


async def shoot(page: Page, name: str) -> Path:
    """Save what ``page`` shows as ``<SCREENSHOTS>/<name>.png``."""
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, animations="disabled", caret="hide")
    return path
