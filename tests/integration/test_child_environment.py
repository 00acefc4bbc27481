"""Child processes (the chart's, the feed parser's, the migrating one) get a minimal
environment: never the token, the webhook secret nor the database and Redis passwords."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.core.kernel import PIPE, run_child
from bot.core.kernel.migrate import upgrade_in_child
from bot.modules.analytics.chart import render_in_child
from tests.helpers.clocks import eventually

pytestmark = pytest.mark.own_database  # the migrating child gets a SQLite file of its own

SECRETS = {
    "BOT_TOKEN": "123456:child-must-not-see-this",
    "WEBHOOK_SECRET": "webhook-secret-value",
    "DATABASE_URL": "postgresql://companion:db-password@db/companion",
    "REDIS_URL": "redis://:redis-password@cache:6379/0",
}
DUMP = "import json, os, sys; sys.stdout.write(json.dumps(dict(os.environ)))"


@pytest.fixture
def secret_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's process holds its secrets in its environment (systemd, compose, a shell)."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def _leaks(environ: dict[str, str]) -> list[str]:
    words = ("child-must-not-see-this", "webhook-secret-value", "db-password", "redis-password")
    return [k for k, v in environ.items() if any(word in v for word in words)]


def _children() -> set[int]:
    """This process's live child processes (Linux /proc)."""
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            pids |= {int(pid) for pid in (task / "children").read_text().split()}
    return pids


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


async def _environ_of_next_child(before: set[int]) -> dict[str, str]:
    """The environment of the first child started after ``before`` was taken."""
    seen: dict[str, str] = {}

    async def started() -> bool:
        for pid in _children() - before:
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                seen.update(_environ(pid))
        return bool(seen)

    await eventually(started, timeout=30)
    return seen


@pytest.mark.usefixtures("secret_environment")
async def test_run_child_passes_a_minimal_environment() -> None:
    """A child sees PATH, HOME and what it is given by name; no setting of the bot."""
    exited = await run_child(
        sys.executable, "-c", DUMP, data=b"", timeout=60, stdout=PIPE, env={"GIVEN": "yes"}
    )
    seen = json.loads(exited.out)
    assert _leaks(seen) == [] and not {"BOT_TOKEN", "DATABASE_URL"} & set(seen), seen
    assert seen["PATH"] == os.environ["PATH"] and seen["GIVEN"] == "yes"


@pytest.mark.usefixtures("secret_environment")
async def test_the_chart_child_draws_without_the_secrets(tmp_path: Path) -> None:
    """The daily chart is drawn by a child that never holds the token or a password."""
    before = _children()
    draw = asyncio.create_task(
        render_in_child([(date(2026, 12, 1), {"users": 3})], tmp_path / "chart.png")
    )
    seen = await _environ_of_next_child(before)
    assert await draw == tmp_path / "chart.png" and (tmp_path / "chart.png").stat().st_size
    assert "PATH" in seen and _leaks(seen) == [], sorted(seen)


async def test_the_migrating_child_gets_the_database_and_not_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run`'s migrating child is given DATABASE_URL (it needs it), never the token."""
    monkeypatch.setenv("BOT_TOKEN", SECRETS["BOT_TOKEN"])
    monkeypatch.setenv("WEBHOOK_SECRET", SECRETS["WEBHOOK_SECRET"])
    monkeypatch.setenv("REDIS_URL", SECRETS["REDIS_URL"])
    monkeypatch.chdir(tmp_path)  # no .env here
    url = f"sqlite+aiosqlite:///{tmp_path}/migrated.sqlite3"
    before = _children()
    migrate = asyncio.create_task(asyncio.to_thread(upgrade_in_child, url))
    seen = await _environ_of_next_child(before)
    assert await migrate == 0
    assert seen["DATABASE_URL"] == url and _leaks(seen) == [], sorted(seen)
