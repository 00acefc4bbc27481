"""Fixtures shared by every test: settings on a temporary database, the sandbox, the bot."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import shutil
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

from bot.core.kernel.db import Database
from bot.core.kernel.logging import configure_logging
from bot.core.kernel.migrate import upgrade
from bot.core.kernel.settings import Settings
from bot.sandbox import SandboxServer
from bot.sandbox.flood import FloodLimits
from bot.settings import CompanionSettings
from tests.helpers.owned import dispose_owned
from tests.helpers.servers import RedisServer

# Property tests check what holds, not how fast: no per-example deadline (a loaded machine
# made them fail as "flaky"), and a slow data generation is not an error either.
hypothesis_settings.register_profile(
    "companion", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("companion")

ADMIN = 1
POSTGRES_URL_VARIABLE = "COMPANION_TEST_POSTGRES_URL"
# One template per pytest-xdist worker: CREATE DATABASE ... TEMPLATE refuses a template that
# another session is using, and two workers copy theirs at the same time.
PG_TEMPLATE = "companion_template_" + os.environ.get("PYTEST_XDIST_WORKER", "main")


class _Backend:
    """Which database the tests run on (``--db``), and the PostgreSQL databases made."""

    name = "sqlite"
    server_url = ""
    created: list[str] = []  # noqa: RUF012 - process-wide on purpose


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="database of the tests: a SQLite file each (default) or a PostgreSQL database "
        f"each on the server named by ${POSTGRES_URL_VARIABLE} (tests/postgres.sh starts one)",
    )


def pytest_configure(config: pytest.Config) -> None:
    _Backend.name = config.getoption("--db")
    if _Backend.name == "postgres":
        _Backend.server_url = os.environ.get(POSTGRES_URL_VARIABLE, "")
        if not _Backend.server_url:
            raise pytest.UsageError(f"--db=postgres needs ${POSTGRES_URL_VARIABLE}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, SQLite-only checks and tests that pin a database of their own are left to
    the SQLite run (deselected, not skipped): the second run would repeat the latter unchanged."""
    if _Backend.name != "postgres":
        return
    keep = [i for i in items if not (i.get_closest_marker("sqlite_only") or _pins_own(i))]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def _pins_own(item: pytest.Item) -> bool:
    return item.get_closest_marker("own_database") is not None


def on_postgres() -> bool:
    return _Backend.name == "postgres"


def database_url(tmp_path: Path) -> str:
    """The test's own database: a SQLite file in ``tmp_path``, or a PostgreSQL database
    named after ``tmp_path`` (made from the migrated template by :func:`migrate`)."""
    if _Backend.name != "postgres":
        return f"sqlite+aiosqlite:///{tmp_path}/companion.sqlite3"
    name = "t_" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:20]
    return make_url(_Backend.server_url).set(database=name).render_as_string(hide_password=False)


def make_settings(tmp_path: Path, **overrides: Any) -> CompanionSettings:
    """Settings isolated from the environment and `.env`, on a database in ``tmp_path``."""
    values: dict[str, Any] = {
        "database_url": database_url(tmp_path),
        "admin_ids": str(ADMIN),
        "bot_token": "123456:TEST-token",
        "media_dir": tmp_path / "media",
        **overrides,
    }
    return CompanionSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
async def _dispose_owned() -> AsyncIterator[None]:
    """Databases given to ``tests/helpers/owned.py`` are disposed after the test, pass or fail."""
    yield
    await dispose_owned()


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
    """A database with every migration applied, made once per run: a SQLite file (and, on
    PostgreSQL, the template database every test's database is created from)."""
    path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    if on_postgres():
        _in_thread(_pg_recreate(PG_TEMPLATE, template=None))
        upgrade(make_url(_Backend.server_url).set(database=PG_TEMPLATE).render_as_string(False))
    return path


async def migrate(database_url: str, template: Path) -> None:
    """Bring a test database to the newest schema: a new database is a copy of the template
    (Alembic per test costs seconds over a run), anything else is upgraded."""
    await asyncio.to_thread(_migrate, database_url, template)


def _migrate(database_url: str, template: Path) -> None:
    prefix = "sqlite+aiosqlite:///"
    path = Path(database_url.removeprefix(prefix))
    if database_url.startswith(prefix) and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)
    elif database_url.startswith("postgresql"):
        name = make_url(database_url).database
        if name and name not in _Backend.created:
            asyncio.run(_pg_recreate(name, template=PG_TEMPLATE))
            _Backend.created.append(name)
            return
    upgrade(database_url)  # a no-op on a copy of the template


async def upgrade_fresh(database_url: str) -> None:
    """Run every migration on a new, empty database (what ``db upgrade`` does on a first
    start); on PostgreSQL the empty database is created first."""
    await asyncio.to_thread(_upgrade_fresh, database_url)


def _upgrade_fresh(database_url: str) -> None:
    name = make_url(database_url).database
    if database_url.startswith("postgresql") and name and name not in _Backend.created:
        asyncio.run(_pg_recreate(name, template=None))
        _Backend.created.append(name)
    upgrade(database_url)


async def _pg_admin(*statements: str) -> None:
    import asyncpg

    url = make_url(_Backend.server_url)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _pg_recreate(name: str, *, template: str | None) -> None:
    source = f' TEMPLATE "{template}"' if template else ""
    await _pg_admin(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"{source}'
    )


def _in_thread(coroutine: Any) -> None:
    """Run ``coroutine`` on a loop of its own (callers may be inside a running loop)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as exc:  # reported in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """The PostgreSQL databases a test made are dropped after it (connections still open
    are ended), so a run's disk use does not grow with the number of tests."""
    yield
    if _Backend.created:
        names, _Backend.created[:] = list(_Backend.created), []
        _in_thread(_pg_admin(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names)))


@pytest.fixture
async def migrated(settings: Settings, schema_template: Path) -> Settings:
    """Settings whose database has every migration applied."""
    await migrate(settings.database_url, schema_template)
    return settings


@pytest.fixture
async def db(migrated: Settings) -> AsyncIterator[Database]:
    """The migrated database, disposed after the test whatever its outcome."""
    database = Database(migrated.database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[SandboxServer]:
    """The sandbox Bot API; with Telegram's flood limits lifted where a test is marked
    ``lifted_limits`` (it exchanges many messages at once; pacing is tested on its own)."""
    lifted = request.node.get_closest_marker("lifted_limits") is not None
    server = SandboxServer(limits=FloodLimits.lifted()) if lifted else SandboxServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A throw-away redis-server on a free loopback port, no persistence; stopped after the
    test (a test may kill it and start it again on the same port)."""
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
