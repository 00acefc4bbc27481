"""Moderation from the command line: `check` validates its settings; the terminal sandbox
carries a suggestion from a user to the channel."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.sandbox.terminal import SANDBOX_DATABASE_URL, run_sandbox, sandbox_settings
from tests.conftest import make_settings, upgrade_fresh
from tests.helpers.processes import cli


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MODERATION__BLOCKED_PATTERNS", '["(unclosed"]'),
        ("MODERATION__MAX_TEXT_LENGTH", "5000"),
        ("MODERATOR_IDS", "1,two"),
        ("MODERATION_CHAT_ID", "group"),
    ],
)
async def test_check_refuses_bad_moderation_settings(tmp_path: Path, name: str, value: str) -> None:
    """`check` exits 2 naming the bad moderation setting, without a traceback."""
    code, _out, err = await cli(tmp_path, "check", **{name: value})
    assert code == 2, err
    assert f"{name}:" in err and "Traceback" not in err


async def test_check_lists_the_moderation_job(tmp_path: Path) -> None:
    """`check` with moderation settings passes and shows the SLA digest job and /suggest."""
    code, out, err = await cli(
        tmp_path, "check", MODERATION__BLOCKED_WORDS='["casino"]', MODERATOR_IDS="5,6"
    )
    assert code == 0, err
    assert "moderation.sla_digest" in out and "/suggest" in out


@pytest.mark.own_database  # the sandbox runs on its own data/sandbox.sqlite3
async def test_terminal_suggest_and_approve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`:as 5 /suggest hello` then `:press 1` (Approve on your card): the author is told."""
    monkeypatch.chdir(tmp_path)
    settings = make_settings(tmp_path, bot_token="", database_url=SANDBOX_DATABASE_URL)
    await upgrade_fresh(sandbox_settings(settings, "").database_url)
    printed: list[str] = []
    lines = ":as 5 /suggest hello from the terminal\n:wait\n:press 1\n:wait\n:quit\n"
    stream = io.StringIO(lines)
    await asyncio.wait_for(run_sandbox(settings, stream=stream, say=printed.append), 60)
    output = "\n".join(printed)
    assert "Suggestion #1 from User5" in output, output
    assert "Approved by You" in output, output
    assert "was approved; it will appear at" in output, output
