"""The console costs nothing until used: without HTTP_PORT neither its server nor aiohttp's
web server is imported; with it, the server is, and the console's own code (authentication,
sessions, the API) waits for the first request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WATCHED = ("aiohttp.web", "bot.core.web.server", "bot.core.web.console", "bot.core.web.access",
           "bot.modules.admin.console_api", "bot.modules.monitoring.overview")  # fmt: skip

_SCRIPT = """
import json, sys
from bot.settings import CompanionSettings
settings = CompanionSettings(
    _env_file=None, database_url=sys.argv[1], bot_token="123456:LEAN", **json.loads(sys.argv[2])
)
import bot.__main__
from bot.app import build_application
build_application(settings)
print(json.dumps(sorted(name for name in {watched} if name in sys.modules)))
"""


def _loaded(tmp_path: Path, **settings: object) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HTTP_PORT", "CONSOLE_URL")}
    env["PYTHONPATH"] = str(ROOT)
    database_url = f"sqlite+aiosqlite:///{tmp_path}/lean.sqlite3"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _SCRIPT.format(watched=repr(WATCHED)),
            database_url,
            json.dumps(settings),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_without_http_port_nothing_of_the_server_is_imported(tmp_path: Path) -> None:
    """No HTTP_PORT: neither bot.core.web.server nor aiohttp.web, nor any console code."""
    assert _loaded(tmp_path) == []


def test_with_http_port_the_console_code_waits_for_its_first_request(tmp_path: Path) -> None:
    """HTTP_PORT (and CONSOLE_URL): the server and aiohttp.web are loaded with the bot, the
    console's authentication, API and the modules' console handlers are not (so the empty
    list above means "not loaded", not "not detected")."""
    loaded = _loaded(tmp_path, http_port=18080, console_url="https://bot.example.org/console/")
    assert loaded == ["aiohttp.web", "bot.core.web.server"]
