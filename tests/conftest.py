"""Fixtures shared by every test: settings on a temporary database, the sandbox, the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.config import Settings
from bot.core.migrate import upgrade
from bot.sandbox import SandboxServer

ADMIN = 1


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings isolated from the environment and `.env`, on a database in ``tmp_path``."""
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/companion.sqlite3",
        "admin_ids": str(ADMIN),
        "bot_token": "123456:TEST-token",
        "media_dir": tmp_path / "media",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def migrated(settings: Settings) -> Settings:
    """Settings whose database has every migration applied."""
    await asyncio.to_thread(upgrade, settings.database_url)
    return settings


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
