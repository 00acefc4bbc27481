"""The console in a real browser: Debian's ``chromium`` (``make chromium``), headless, driven
by Playwright's async API, against the real bot serving its console over loopback HTTP and
talking to the sandbox Bot API.

Chromium starts once per test session (per xdist worker), so the tests here run in the
session's event loop: each test module says ``pytestmark = pytest.mark.asyncio(loop_scope=
"session")``, and the fixtures they use that await (the sandbox, the bot) are given here in
that loop too. Playwright's own browser download never runs: the browser is launched with
``executable_path=shutil.which("chromium")``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from bot.app import build_application
from bot.core.kernel.clock import Clock
from bot.core.lifecycle import serving
from bot.sandbox import SandboxServer
from bot.sandbox.flood import FloodLimits
from tests.browser.miniapp import (
    PHONE,
    ConsoleBot,
    Theme,
    init_data_for,
    only_loopback,
    webapp_script,
)
from tests.conftest import ADMIN, make_settings, migrate
from tests.e2e.conftest import CHANNEL, UNPACED, VIP, Harness
from tests.helpers.servers import free_port

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

# Chromium as root with no display, and none of its calls home (this machine's network is
# closed: each would be refused, and they are noise in any case).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """Debian's chromium, headless, started once per session through Playwright."""
    executable = shutil.which("chromium")
    assert executable, "chromium is required by the browser tests (make chromium)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[SandboxServer]:
    """The sandbox Bot API (as tests/conftest.py's, in the session's loop); with Telegram's
    flood limits lifted where a test is marked ``lifted_limits``."""
    lifted = request.node.get_closest_marker("lifted_limits") is not None
    server = SandboxServer(limits=FloodLimits.lifted()) if lifted else SandboxServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def console_bot_factory(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> AsyncIterator[Callable[..., Any]]:
    """Start the real bot (``build_application`` + ``serving``, as the e2e harness does) with
    ``HTTP_PORT`` on a free loopback port and ``CONSOLE_URL=http://127.0.0.1:<port>/console/``,
    against the sandbox; settings may be overridden, and the clock given (the real one by
    default: the page signs its initData with the browser's time). Stopped at the end of the
    test."""
    sandbox.world.chat(CHANNEL, "channel", "Channel")
    sandbox.world.chat(VIP, "supergroup", "VIP")
    stack: list[Any] = []

    async def start(*, clock: Clock | None = None, **overrides: Any) -> ConsoleBot:
        port = free_port()
        values = {
            "telegram_api_base_url": sandbox.base_url,
            "channel_id": CHANNEL,
            "vip_chat_id": VIP,
            "http_port": port,
            "console_url": f"http://127.0.0.1:{port}/console/",
            **UNPACED,
            **overrides,
        }
        settings = make_settings(tmp_path, **values)
        await migrate(settings.database_url, schema_template)
        app = build_application(settings, clock=clock)
        context = serving(app, poll_timeout=1)
        await context.__aenter__()
        stack.append(context)
        token = settings.token()
        assert token is not None
        return ConsoleBot(Harness(app, sandbox), f"http://127.0.0.1:{port}/console/", token)

    try:
        yield start
    finally:
        for context in reversed(stack):
            await context.__aexit__(None, None, None)


@pytest_asyncio.fixture(loop_scope="session")
async def console_bot(console_bot_factory: Callable[..., Any]) -> ConsoleBot:
    """The bot with its console on loopback, admin ``tests.conftest.ADMIN``."""
    bot: ConsoleBot = await console_bot_factory()
    return bot


@pytest_asyncio.fixture(loop_scope="session")
async def open_console(chromium: Browser) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """Open ``bot``'s console (``path`` under its URL) as a Mini App: a fresh browser context
    (the viewport, the theme's colour scheme) whose ``window.Telegram.WebApp`` carries
    ``initData`` for ``user_id`` signed with the bot's token and the theme's colours; with
    ``miniapp=False`` as a plain desktop browser (no ``Telegram.WebApp``, cookies only); with
    ``init_data``, that text instead of a good signature (a forgery, say). Only
    loopback is reached; dialogs are accepted. Closed at the end of the test, which fails if a
    page threw."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    async def open_(
        bot: ConsoleBot,
        *,
        user_id: int = ADMIN,
        theme: Theme = "light",
        viewport: ViewportSize = PHONE,
        language: str = "en",
        path: str = "",
        miniapp: bool = True,
        init_data: str | None = None,
    ) -> Page:
        signed, user = init_data_for(bot, user_id, language)
        init_data = signed if init_data is None else init_data
        script = webapp_script(init_data, user, theme, viewport["height"]) if miniapp else ""
        context = await chromium.new_context(
            viewport=viewport, color_scheme=theme, device_scale_factor=1
        )
        contexts.append(context)
        await context.route("**/*", lambda route: only_loopback(route, script))
        if miniapp:
            await context.add_init_script(script)
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("dialog", lambda dialog: dialog.accept())
        await page.goto(bot.url + path)
        return page

    try:
        yield open_
    finally:
        for context in contexts:
            await context.close()
    assert not errors, f"the console threw: {errors}"
