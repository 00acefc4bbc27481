"""The command line: `check`, and `run` against a Bot API server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import SandboxServer
from tests.helpers.processes import cli, cli_env, python_bot, stop

pytestmark = pytest.mark.own_database  # the CLI runs on a SQLite file of its own


@pytest.mark.parametrize(
    ("name", "value"),
    [("ADMIN_IDS", "1,two"), ("TIMEZONE", "Nowhere/City"), ("DATABASE_URL", "oracle://x/y")],
)
async def test_check_fails_clearly(tmp_path: Path, name: str, value: str) -> None:
    """`check` exits 2 with a line naming the bad setting, no traceback."""
    code, _out, err = await cli(tmp_path, "check", **{name: value})
    assert code == 2
    assert f"{name}:" in err and "Traceback" not in err


async def test_check_passes_and_describes(tmp_path: Path) -> None:
    """`check` with good settings exits 0 and prints what will run, never the token."""
    token = "123456789:AAE-secret-value-of-35-characters__"
    code, out, _err = await cli(tmp_path, "check", BOT_TOKEN=token, ADMIN_IDS="5")
    assert code == 0 and "configuration OK" in out and "secret-value" not in out


async def test_run_without_token_refuses(tmp_path: Path) -> None:
    """`run` without BOT_TOKEN says what to do instead."""
    code, _out, err = await cli(tmp_path, "run")
    assert code == 2 and "BOT_TOKEN is not set" in err


async def test_run_answers_many_users(tmp_path: Path, sandbox: SandboxServer) -> None:
    """`python -m bot run` pointed at a loopback Bot API answers /start from 200 users, no 429."""
    env = cli_env(tmp_path, BOT_TOKEN="123:loopback", TELEGRAM_API_BASE_URL=sandbox.base_url)
    process = await python_bot("run", cwd=tmp_path, env=env)
    try:
        world = sandbox.world
        for user_id in range(2000, 2200):
            world.send_text(user_id, "/start")
        await world.wait_until(lambda: all(world.to(u) for u in range(2000, 2200)), timeout=90)
        assert all("Welcome" in (world.to(u)[0].text or "") for u in range(2000, 2200))
    finally:
        await stop(process)
    assert sandbox.too_many_requests == 0
