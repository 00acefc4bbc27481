"""`python -m bot sandbox`: the terminal chat answers /start and /help, on its own database
only (a DATABASE_URL naming another one is refused, also when `start` falls back to it)."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest

from bot.core.kernel import Settings
from bot.sandbox.terminal import SANDBOX_DATABASE_URL, run_sandbox, sandbox_settings
from tests.conftest import make_settings, upgrade_fresh
from tests.helpers.processes import cli, cli_env, finish

pytestmark = pytest.mark.own_database  # the sandbox runs on data/sandbox.sqlite3, always


def sandbox_test_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for a sandbox run in ``tmp_path``: the folder it runs in, on its own database."""
    monkeypatch.chdir(tmp_path)
    return make_settings(tmp_path, bot_token="", database_url=SANDBOX_DATABASE_URL)


async def test_terminal_chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Typed lines reach the bot; answers to every chat are printed with their chat."""
    settings = sandbox_test_settings(tmp_path, monkeypatch)
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
    assert (tmp_path / "data").stat().st_mode & 0o077 == 0  # the log holds what users typed
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


PRODUCTION = "postgresql://companion:pg-secret-password@db.internal:5432/companion"


@pytest.mark.parametrize("command", [("sandbox",), ("start",), ("jobs", "--sandbox", "list")])
async def test_the_sandbox_refuses_another_database(tmp_path: Path, command: tuple[str]) -> None:
    """With DATABASE_URL naming another database, `sandbox`, `start` without a token and
    `jobs --sandbox` exit 2 naming DATABASE_URL and the sandbox's own file, touching nothing
    (no data/ folder, no log, the named database never created), the password never shown."""
    for url in (PRODUCTION, f"sqlite:///{tmp_path}/production.sqlite3"):
        code, out, err = await cli(tmp_path, *command, DATABASE_URL=url)
        assert code == 2, (out, err)
        assert "DATABASE_URL: the sandbox runs only on its own database" in err, err
        assert "data/sandbox.sqlite3" in err and "pg-secret-password" not in err + out
        assert "Traceback" not in err and "Companion sandbox" not in out
        assert not (tmp_path / "data").exists() and not (tmp_path / "production.sqlite3").exists()


async def test_start_without_a_token_names_it_then_runs_the_sandbox(tmp_path: Path) -> None:
    """`start` (what `make run` runs) without BOT_TOKEN says that BOT_TOKEN is not set, then
    runs the sandbox on data/sandbox.sqlite3; DATABASE_URL set to that very file is accepted."""
    env = cli_env(tmp_path)
    del env["DATABASE_URL"]
    for database in (None, "sqlite:///data/sandbox.sqlite3"):
        if database:
            env["DATABASE_URL"] = database
        start = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "start",
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert start.stdin is not None
        start.stdin.write(b"/start\n:wait\n:quit\n")
        start.stdin.close()
        out, err = await finish(start, 90)
        assert start.returncode == 0, err.decode()
        assert "BOT_TOKEN is not set: starting the offline sandbox" in err.decode()
        assert "Welcome" in out.decode() and "You!" in out.decode()
        assert (tmp_path / "data" / "sandbox.sqlite3").is_file()
        assert not (tmp_path / "data" / "companion.sqlite3").exists()
