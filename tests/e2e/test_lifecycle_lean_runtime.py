"""What serving leaves in the process: the start's GC freeze is undone at the stop; the
bot's API calls go through the aiohttp request by default, the httpx one when asked."""

from __future__ import annotations

import gc
from pathlib import Path

from telegram.request import HTTPXRequest

from bot.app import build_application
from bot.core.lifecycle import serving
from bot.core.telegram.request import AiohttpRequest
from bot.sandbox import SandboxServer
from tests.conftest import make_settings, migrate


async def _serve_and_ask(
    tmp_path: Path, sandbox: SandboxServer, template: Path, **extra: object
) -> type:
    settings = make_settings(tmp_path, telegram_api_base_url=sandbox.base_url, **extra)
    await migrate(settings.database_url, template)
    app = build_application(settings)
    async with serving(app, poll_timeout=1):
        assert gc.get_freeze_count() > 0
        before = len(sandbox.world.to(5))
        sandbox.world.send_text(5, "/help")
        await sandbox.world.wait_until(lambda: len(sandbox.world.to(5)) > before, 10)
        kind = type(app.bot.request)
    return kind


async def test_start_freezes_and_stop_unfreezes(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """While the bot serves, what start-up built is frozen (full GC passes skip it); after the
    stop nothing stays frozen, so a process that serves again leaks nothing; the default
    client is aiohttp."""
    gc.unfreeze()
    assert await _serve_and_ask(tmp_path, sandbox, schema_template) is AiohttpRequest
    assert gc.get_freeze_count() == 0


async def test_httpx_client_is_chosen_by_the_setting(
    tmp_path: Path, sandbox: SandboxServer, schema_template: Path
) -> None:
    """TELEGRAM_HTTP_CLIENT=httpx: the bot answers through python-telegram-bot's request."""
    kind = await _serve_and_ask(tmp_path, sandbox, schema_template, telegram_http_client="httpx")
    assert kind is HTTPXRequest
