"""`python -m bot run` migrates in a child process only when the database is not at the
scripts' heads: a migrated database starts without one (a Python start saved)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.core.kernel.migrate import alembic_config, at_head, script_heads, upgrade
from bot.sandbox import SandboxServer
from tests.helpers.processes import python_bot, stop

pytestmark = pytest.mark.own_database  # each start is pinned to a SQLite file of its own


def _url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/start.sqlite3"


async def _run_until_polling(tmp_path: Path, sandbox: SandboxServer) -> str:
    """Start `run`, wait for its first getUpdates, stop it; what it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "LOG_"))}
    env.update(
        DATABASE_URL=_url(tmp_path),
        TELEGRAM_API_BASE_URL=sandbox.base_url,
        BOT_TOKEN="123456:START",
        LOG_LEVEL="WARNING",
    )
    out_path = tmp_path / "stdout"
    with out_path.open("wb") as out:
        process = await python_bot("run", cwd=tmp_path, env=env, stdout=out, stderr=None)
    try:
        async with asyncio.timeout(90):
            while not sandbox.stats["getUpdates"]:
                assert process.returncode is None, "the bot exited before polling"
                await asyncio.sleep(0.05)
    finally:
        await stop(process)
    return out_path.read_text()


def test_script_heads_are_alembics_heads() -> None:
    """The heads read from the migration files are the ones Alembic computes."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script_heads() == tuple(sorted(script.get_heads()))


def test_at_head_only_when_every_head_is_applied(tmp_path: Path) -> None:
    """A new database and one at an older revision are not at head; a migrated one is."""
    assert not at_head(_url(tmp_path))
    upgrade(_url(tmp_path), "0003")
    assert not at_head(_url(tmp_path))
    upgrade(_url(tmp_path))
    assert at_head(_url(tmp_path))


async def test_run_on_a_migrated_database_starts_no_migration(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """A database at head: `run` polls without starting the migrating child (it prints
    nothing about the database)."""
    await asyncio.to_thread(upgrade, _url(tmp_path))
    assert "database" not in await _run_until_polling(tmp_path, sandbox)


async def test_run_on_an_older_database_upgrades_it_first(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """A database at an older revision is upgraded by the child before the bot polls."""
    await asyncio.to_thread(upgrade, _url(tmp_path), "0003")
    printed = await _run_until_polling(tmp_path, sandbox)
    assert "database upgraded from revision 0003" in printed
    assert await asyncio.to_thread(at_head, _url(tmp_path))


async def test_run_on_a_new_database_creates_it_in_its_own_process(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """No database yet: `run` creates it from the models and stamps it at head itself,
    without the migrating child (which would print "database created ..."): the first start
    of a new bot is one Python process."""
    assert "database" not in await _run_until_polling(tmp_path, sandbox)
    assert await asyncio.to_thread(at_head, _url(tmp_path))
