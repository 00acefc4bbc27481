"""The deploy recipe, run for real into a temporary root: deploy/install.sh, then the unit
it installed checked by systemd-analyze, the installed bot's settings and `check`."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers.processes import finish

pytestmark = pytest.mark.own_database  # the installed bot uses a SQLite file of its own

ROOT = Path(__file__).resolve().parents[2]


async def _run(
    *command: str, cwd: Path, env: dict[str, str], timeout: float = 300
) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await finish(process, timeout)
    return process.returncode or 0, out.decode(errors="replace")


@pytest.mark.timeout(420)  # it builds a virtualenv with pip
async def test_install_script_gives_a_unit_that_verifies_and_a_working_bot(tmp_path: Path) -> None:
    """install.sh creates the data folder (700) and .venv (with the PostgreSQL driver, at the
    pinned versions), copies .env (600); the unit verifies, creates files 600 (UMask=0077),
    prevents restarts on exit 2, and the journal gets JSON whatever .env says. Without a token
    the unit is not enabled nor started; an upgrade removes what the new version deleted,
    keeps .env and data (closing a database an older install left readable), and (with a
    token) enables and restarts the unit."""
    home, units, source = tmp_path / "opt" / "companion", tmp_path / "units", tmp_path / "src"
    units.mkdir()
    _checkout(source)
    calls = tmp_path / "systemctl.log"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "systemctl").write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    (fake / "systemctl").chmod(0o755)
    env = {
        **os.environ,
        "COMPANION_HOME": str(home),
        "COMPANION_USER": os.environ.get("USER") or _whoami(),
        "UNIT_DIR": str(units),
        "PATH": f"{fake}:{os.environ['PATH']}",
        "PYTHON": sys.executable,
    }
    install = ("bash", str(source / "deploy" / "install.sh"))
    try:
        code, out = await _run(*install, cwd=tmp_path, env=env)
        assert code == 0, out
        assert (home / "data").is_dir() and (home / ".env").is_file()
        assert (home / ".env").stat().st_mode & 0o777 == 0o600  # the bot's user only
        assert (home / "data").stat().st_mode & 0o777 == 0o700
        assert calls.read_text().split("\n")[:-1] == ["daemon-reload"]  # no token: not started
        assert "installed, not started: set BOT_TOKEN" in out
        python = home / ".venv" / "bin" / "python"
        code, out = await _run(str(python), "-c", "import asyncpg", cwd=home, env=env)
        assert code == 0, out
        versions = "import importlib.metadata as m; print(m.version('aiohttp'), m.version('h11'))"
        code, out = await _run(str(python), "-c", versions, cwd=home, env=env)
        pins = (ROOT / "constraints.txt").read_text()
        assert code == 0 and all(f"=={v}\n" in pins for v in out.split()), out
        assert f"aiohttp=={out.split()[0]}\n" in pins, out

        unit = (units / "companion.service").read_text()
        assert "RestartPreventExitStatus=2" in unit and "\nEnvironmentFile=" not in unit
        assert "\nUMask=0077\n" in unit  # the SQLite file the bot creates: 600
        assert f"ReadWritePaths={home}/data" in unit
        verify = shutil.which("systemd-analyze")
        assert verify, "systemd-analyze is part of systemd"
        code, out = await _run(
            verify, "verify", str(units / "companion.service"), cwd=home, env=env
        )
        assert code == 0, out

        (home / ".env").write_text("LOG_FORMAT=console\n")
        clean = {
            k: v for k, v in env.items() if k not in ("LOG_FORMAT", "BOT_TOKEN", "DATABASE_URL")
        }
        show = (
            "from bot.core.kernel import load_settings; "
            "from bot.settings import CompanionSettings; "
            "print(load_settings(CompanionSettings).log_format)"
        )
        code, out = await _run(
            str(python), "-c", show, cwd=home, env={**clean, "LOG_FORMAT": "json"}
        )
        assert (code, out.strip()) == (0, "json")
        code, out = await _run(str(python), "-m", "bot", "check", cwd=home, env=clean)
        assert code == 0 and "configuration OK" in out, out

        # An upgrade: a file of the old version is gone from the new one; a token is set.
        (source / "bot" / "retired_feature.py").write_text('"""Gone in the next version."""\n')
        code, out = await _run(*install, cwd=tmp_path, env=env)
        assert code == 0 and (home / "bot" / "retired_feature.py").is_file(), out
        (source / "bot" / "retired_feature.py").unlink()
        (home / ".env").write_text("LOG_FORMAT=console\nBOT_TOKEN=123456:TEST-token\n")
        (home / "data" / "kept.txt").write_text("the bot's data survives upgrades")
        # An older install left the database and the data folder readable by everyone.
        database = home / "data" / "companion.sqlite3"
        database.write_bytes(b"")
        database.chmod(0o644)
        (home / "data").chmod(0o755)
        calls.unlink()
        code, out = await _run(*install, cwd=tmp_path, env=env)
        assert code == 0, out
        assert not (home / "bot" / "retired_feature.py").exists()
        assert (home / "data" / "kept.txt").is_file() and "BOT_TOKEN=" in (
            home / ".env"
        ).read_text()
        assert database.stat().st_mode & 0o777 == 0o600
        assert (home / "data").stat().st_mode & 0o777 == 0o700
        assert calls.read_text().split("\n")[:-1] == [
            "daemon-reload",
            "enable companion",
            "restart companion",
        ]
    finally:
        shutil.rmtree(home / ".venv", ignore_errors=True)  # 0.5 GB: not left in /tmp


def _checkout(target: Path) -> None:
    """The files git tracks in this checkout, copied to ``target`` (a release to install)."""
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if path.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name.decode())


def _whoami() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name
