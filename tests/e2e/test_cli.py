"""The command line: `check`, and `run` against a Bot API server on loopback."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.sandbox import SandboxServer
from tests.processes import finish, stop

pytestmark = pytest.mark.own_database  # the CLI runs on a SQLite file of its own

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "ADMIN_IDS")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3", "LOG_LEVEL": "WARNING"})
    env.update(values)
    return env


async def _cli(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=_env(tmp_path, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await finish(process, 60)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize(
    ("name", "value"),
    [("ADMIN_IDS", "1,two"), ("TIMEZONE", "Nowhere/City"), ("DATABASE_URL", "oracle://x/y")],
)
async def test_check_fails_clearly(tmp_path: Path, name: str, value: str) -> None:
    """`check` exits 2 with a line naming the bad setting, no traceback."""
    code, _out, err = await _cli(tmp_path, "check", **{name: value})
    assert code == 2
    assert f"{name}:" in err and "Traceback" not in err


async def test_check_passes_and_describes(tmp_path: Path) -> None:
    """`check` with good settings exits 0 and prints what will run, never the token."""
    token = "123456789:AAE-secret-value-of-35-characters__"
    code, out, _err = await _cli(tmp_path, "check", BOT_TOKEN=token, ADMIN_IDS="5")
    assert code == 0 and "configuration OK" in out and "secret-value" not in out


async def test_run_without_token_refuses(tmp_path: Path) -> None:
    """`run` without BOT_TOKEN says what to do instead."""
    code, _out, err = await _cli(tmp_path, "run")
    assert code == 2 and "BOT_TOKEN is not set" in err


async def test_run_answers_many_users(tmp_path: Path, sandbox: SandboxServer) -> None:
    """`python -m bot run` pointed at a loopback Bot API answers /start from 200 users, no 429."""
    env = _env(tmp_path, BOT_TOKEN="123:loopback", TELEGRAM_API_BASE_URL=sandbox.base_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,  # a pipe nobody reads could block the bot
    )
    try:
        world = sandbox.world
        for user_id in range(2000, 2200):
            world.send_text(user_id, "/start")
        await world.wait_until(lambda: all(world.to(u) for u in range(2000, 2200)), timeout=90)
        assert all("Welcome" in (world.to(u)[0].text or "") for u in range(2000, 2200))
    finally:
        await stop(process)
    assert sandbox.too_many_requests == 0
