"""/backups against the sandbox: the admins' list of backups, from the folder itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ADMIN
from tests.e2e.conftest import Harness

USER = 4242


async def test_backups_lists_what_the_job_wrote_and_a_damaged_file(
    tmp_path: Path, harness_factory: Callable[..., Any]
) -> None:
    """No backups yet; after ``backups.daily`` the admin sees it with its figures and
    "checksum ok"; a damaged data file is shown as damaged; anyone else is refused."""
    folder = tmp_path / "backups"
    bot: Harness = await harness_factory(backups={"folder": folder})
    assert "No backups yet" in await bot.reply(ADMIN, "/backups")
    summary = await bot.run_job("backups.daily")
    assert summary is not None and summary.startswith("backup ") and " rows, " in summary
    answer = await bot.reply(ADMIN, "/backups")
    assert "(1)" in answer and "checksum ok" in answer and "revision 00" in answer
    data = next(p for p in folder.iterdir() if not p.name.startswith(".") and "json" not in p.name)
    data.write_bytes(data.read_bytes()[:-1] + b"!")
    assert "DAMAGED" in await bot.reply(ADMIN, "/backups")
    assert "for the bot's admins only" in await bot.reply(USER, "/backups")
