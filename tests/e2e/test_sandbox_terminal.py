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


async def test_the_sandbox_logs_to_a_file_and_jobs_reads_its_database(tmp_path: Path) -> None:
    """`python -m bot sandbox` keeps the terminal for the chat (its log goes to
    data/sandbox.log) and `jobs --sandbox list` reads the sandbox's own database."""
    import os
    import sys

    from tests.helpers.processes import finish

    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    env["ADMIN_IDS"] = ""
    sandbox = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert sandbox.stdin is not None
    sandbox.stdin.write(b"/start\n:wait\n:quit\n")
    await sandbox.stdin.drain()
    sandbox.stdin.close()
    out, err = await finish(sandbox, 90)
    assert sandbox.returncode == 0 and "Welcome to Companion" in out.decode()
    assert "data/sandbox.log" in out.decode() and "[info" not in err.decode()
    log = (tmp_path / "data" / "sandbox.log").read_text()
    assert "bot started" in log
    listing = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "jobs",
        "--sandbox",
        "list",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _err = await finish(listing, 60)
    assert listing.returncode == 0 and "missions.sweep" in out.decode()
    assert (tmp_path / "data" / "sandbox.sqlite3").is_file()
    assert not (tmp_path / "data" / "companion.sqlite3").exists()
