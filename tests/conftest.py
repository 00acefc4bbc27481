"""Fixtures shared by every test: settings on a temporary database, the sandbox, the bot."""

from __future__ import annotations

import asyncio
import gc
import shutil
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from bot.core.config import Settings
from bot.core.logging import configure_logging
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


@pytest.fixture(autouse=True)
def _logging() -> None:
    """Logging is process-global: each test starts from the bot's real configuration, with
    loggers not cached, so a test that reconfigures structlog cannot break later ones."""
    configure_logging("WARNING")
    structlog.configure(cache_logger_on_first_use=False)


def _dump_tasks() -> None:
    """Print the stack of every asyncio task of the running loops (pytest-timeout's thread
    dump shows only an idle loop when a test hangs on an await)."""
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]
    for loop in loops:
        if not loop.is_running():
            continue
        for task in list(asyncio.all_tasks(loop)):
            print(f"\n--- asyncio task {task.get_name()} ---", file=sys.__stderr__)
            task.print_stack(file=sys.__stderr__)


@pytest.hookimpl(hookwrapper=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> Iterator[None]:
    """Shortly before pytest-timeout ends a hung test, dump the asyncio tasks too."""
    if settings.timeout > 0:
        timer = threading.Timer(max(settings.timeout - 3, settings.timeout * 0.9), _dump_tasks)
        timer.daemon = True
        timer.start()
        item.stash[_TASK_DUMP] = timer
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> Iterator[None]:
    timer = item.stash.get(_TASK_DUMP, None)
    if timer is not None:
        timer.cancel()
        del item.stash[_TASK_DUMP]
    yield


_TASK_DUMP = pytest.StashKey[threading.Timer]()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with every migration applied, made once per run."""
    path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def migrate(database_url: str, template: Path) -> None:
    """Bring a test database to the newest schema: a new SQLite file is a copy of the
    template (Alembic per test costs seconds over a run), anything else is upgraded."""
    await asyncio.to_thread(_migrate, database_url, template)


def _migrate(database_url: str, template: Path) -> None:
    prefix = "sqlite+aiosqlite:///"
    path = Path(database_url.removeprefix(prefix))
    if database_url.startswith(prefix) and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)
    upgrade(database_url)  # a no-op on a copy of the template


@pytest.fixture
async def migrated(settings: Settings, schema_template: Path) -> Settings:
    """Settings whose database has every migration applied."""
    await migrate(settings.database_url, schema_template)
    return settings


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
