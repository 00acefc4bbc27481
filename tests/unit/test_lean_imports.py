"""What a bot without Redis, feeds, an HTTP port or a webhook loads: none of the heavy
optional libraries (each is imported where its setting or its use needs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "matplotlib",
    "alembic",
    "redis",
    "aiohttp",
    "feedparser",
    "sqlalchemy.dialects.postgresql",
)
UNSET = ("REDIS_URL", "FEEDS", "HTTP_PORT", "WEBHOOK_URL")
ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import json, sys
from bot.settings import CompanionSettings
settings = CompanionSettings(
    _env_file=None, database_url=sys.argv[1], bot_token="123456:LEAN", **json.loads(sys.argv[2])
)
import bot.__main__, bot.core.kernel.migrate  # the command line of `run`, its migration check
from bot.app import build_application
build_application(settings)
print(json.dumps(sorted(name for name in {heavy} if name in sys.modules)))
"""


def _loaded(tmp_path: Path, **settings: object) -> list[str]:
    """The heavy modules in ``sys.modules`` after importing bot.app and building the bot."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["PYTHONPATH"] = str(ROOT)
    database_url = f"sqlite+aiosqlite:///{tmp_path}/lean.sqlite3"
    script = _SCRIPT.format(heavy=repr(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", script, database_url, json.dumps(settings)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_plain_bot_loads_no_optional_library(tmp_path: Path) -> None:
    """Without Redis, feeds, HTTP_PORT or a webhook: no matplotlib, Alembic, Redis, aiohttp,
    feedparser, nor SQLAlchemy's PostgreSQL dialect on SQLite, in memory after the command
    line is loaded and the application is built (aiohttp comes with the first Bot API call)."""
    assert _loaded(tmp_path) == []


def test_configured_redis_and_http_port_load_their_clients(tmp_path: Path) -> None:
    """The same check sees a library that is configured: REDIS_URL loads redis, HTTP_PORT
    loads aiohttp (so the empty list above means "not loaded", not "not detected")."""
    loaded = _loaded(tmp_path, redis_url="redis://127.0.0.1:1/0", http_port=18080)
    assert loaded == ["aiohttp", "redis"]
