"""Apply Alembic migrations from code (CLI ``db upgrade``, ``make run``, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database to the newest schema; safe to call on every start.

    Synchronous (Alembic's async env runs its own event loop): call it before
    the bot's loop starts, or through ``asyncio.to_thread``.
    """
    command.upgrade(alembic_config(database_url), revision)
