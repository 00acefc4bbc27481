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


@pytest.mark.timeout(300)  # it builds a virtualenv with pip
async def test_install_script_gives_a_unit_that_verifies_and_a_working_bot(tmp_path: Path) -> None:
    """install.sh creates the data folder and .venv (with the PostgreSQL driver), copies .env;
    the unit verifies, prevents restarts on exit 2, and the journal gets JSON whatever .env says."""
    home, units = tmp_path / "opt" / "companion", tmp_path / "units"
    units.mkdir()
    env = {
        **os.environ,
        "COMPANION_HOME": str(home),
        "COMPANION_USER": os.environ.get("USER") or _whoami(),
        "UNIT_DIR": str(units),
        "SKIP_SYSTEMCTL": "1",
        "PYTHON": sys.executable,
    }
    code, out = await _run("bash", str(ROOT / "deploy" / "install.sh"), cwd=tmp_path, env=env)
    assert code == 0, out
    assert (home / "data").is_dir() and (home / ".env").is_file()
    python = home / ".venv" / "bin" / "python"
    code, out = await _run(str(python), "-c", "import asyncpg", cwd=home, env=env)
    assert code == 0, out

    unit = (units / "companion.service").read_text()
    assert "RestartPreventExitStatus=2" in unit and "\nEnvironmentFile=" not in unit
    assert f"ReadWritePaths={home}/data" in unit
    verify = shutil.which("systemd-analyze")
    assert verify, "systemd-analyze is part of systemd"
    code, out = await _run(verify, "verify", str(units / "companion.service"), cwd=home, env=env)
    assert code == 0, out

    (home / ".env").write_text("LOG_FORMAT=console\n")
    clean = {k: v for k, v in env.items() if k not in ("LOG_FORMAT", "BOT_TOKEN", "DATABASE_URL")}
    show = (
        "from bot.core.kernel import load_settings; from bot.settings import CompanionSettings; "
        "print(load_settings(CompanionSettings).log_format)"
    )
    code, out = await _run(str(python), "-c", show, cwd=home, env={**clean, "LOG_FORMAT": "json"})
    assert (code, out.strip()) == (0, "json")
    code, out = await _run(str(python), "-m", "bot", "check", cwd=home, env=clean)
    assert code == 0 and "configuration OK" in out, out


def _whoami() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name
