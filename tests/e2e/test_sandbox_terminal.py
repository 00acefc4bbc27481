"""`python -m bot sandbox`: the terminal chat answers /start and /help."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from bot.sandbox.terminal import run_sandbox, sandbox_settings
from tests.conftest import make_settings, upgrade_fresh


async def test_terminal_chat(tmp_path: Path) -> None:
    """Typed lines reach the bot; answers to every chat are printed with their chat."""
    settings = make_settings(tmp_path, bot_token="")
    await upgrade_fresh(sandbox_settings(settings, "").database_url)
    printed: list[str] = []
    stream = io.StringIO("/start\n/help\n:as 4242 /start\n:nonsense\n:quit\n")
    await asyncio.wait_for(run_sandbox(settings, users=2, stream=stream, say=printed.append), 60)
    output = "\n".join(printed)
    assert "Welcome to Companion, You!" in output
    assert "Admin commands" in output or "/help" in output
    assert "→ User4242 4242" in output and "→ User100002 100002" in output
    assert "Sandbox commands" in output
