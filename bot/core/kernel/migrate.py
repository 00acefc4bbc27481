"""Apply Alembic migrations from code (CLI ``db upgrade``, ``make run``, tests).

Alembic is imported only where a migration runs: ``python -m bot run`` compares the
database's ``alembic_version`` with the heads of ``migrations/versions`` (read from the
files, without Alembic) and starts the migrating child process only when they differ.
"""

from __future__ import annotations

import ast
import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.kernel.child import child_environment

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parents[3]


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_and_describe(database_url: str) -> str:
    """Upgrade, and say truthfully what happened: created, upgraded from X to Y, up to date."""
    before = applied(database_url)
    upgrade(database_url)
    after = applied(database_url)
    if not before:
        return f"database created at revision {_show(after)}"
    if before == after:
        return f"database is up to date (revision {_show(after)})"
    return f"database upgraded from revision {_show(before)} to {_show(after)}"


def _show(revisions: tuple[str, ...]) -> str:
    """The newest revision recorded (the migrations are numbered in the order they were
    written; one branch per module may leave several heads, which say nothing to a reader)."""
    return max(revisions) if revisions else "none"


def applied(database_url: str) -> tuple[str, ...]:
    """The revisions recorded in the database (empty for a new database)."""
    return asyncio.run(_applied(database_url))


async def _applied(database_url: str) -> tuple[str, ...]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")):
                return ()
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return tuple(sorted(str(row[0]) for row in rows))
    finally:
        await engine.dispose()


def script_heads(folder: Path = ROOT / "migrations" / "versions") -> tuple[str, ...]:
    """The heads of the migration scripts: revisions that no script names as its
    ``down_revision``, read from the files' module-level assignments (no import)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in folder.glob("*.py"):
        values = _assignments(path, ("revision", "down_revision"))
        revision, down = values.get("revision"), values.get("down_revision")
        if isinstance(revision, str):
            revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, list | tuple):
            parents.update(str(item) for item in down)
    return tuple(sorted(revisions - parents))


def _assignments(path: Path, names: tuple[str, ...]) -> dict[str, object]:
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id in names and value is not None:
            found[target.id] = ast.literal_eval(value)
    return found


def at_head(database_url: str) -> bool:
    """True when the database records exactly the scripts' heads (nothing to migrate).
    Anything else (a new database, an older one, one that cannot be read) is False: the
    migrating child then runs, and reports what it finds."""
    try:
        return applied(database_url) == recorded_heads()
    except Exception:
        return False


def recorded_heads(folder: Path = ROOT / "migrations" / "versions") -> tuple[str, ...]:
    """What ``alembic_version`` holds once every migration ran: the heads, less those a
    later script ``depends_on`` (Alembic records the dependent script instead)."""
    needed: set[str] = set()
    for path in folder.glob("*.py"):
        depends = _assignments(path, ("depends_on",)).get("depends_on")
        if isinstance(depends, str):
            needed.add(depends)
        elif isinstance(depends, list | tuple):
            needed.update(str(item) for item in depends)
    return tuple(head for head in script_heads(folder) if head not in needed)


def upgrade_in_child(database_url: str) -> int:
    """``db upgrade`` in a short-lived child process, so that Alembic (and Mako) never stay
    in the memory of the long-running bot; the child's exit code. It is given the database
    and how to log, not the rest of the bot's environment (the token stays in the bot)."""
    logging = {k: os.environ[k] for k in ("LOG_LEVEL", "LOG_FORMAT") if k in os.environ}
    env = child_environment({**logging, "DATABASE_URL": database_url})
    return subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env).returncode


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database to the newest schema; safe to call on every start.

    Synchronous (Alembic's async env runs its own event loop): call it before
    the bot's loop starts, or through ``asyncio.to_thread``.
    """
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)
