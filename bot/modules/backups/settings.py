"""The backups module's settings: ``BACKUPS__<NAME>`` (where backups go, how many are kept,
where ``pg_dump`` is). The application's settings compose this class (``bot/settings.py``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from bot.core.kernel import Settings


class BackupOptions(BaseModel):
    """Where ``backups.daily`` and ``python -m bot backup`` write, and what rotation keeps."""

    folder: Path = Path("./data/backups")
    # The newest backups of this many days are kept (the newest backup of each day)...
    keep_daily: int = Field(default=7, ge=1, le=3650)
    # ...and the newest backup of each of this many ISO weeks.
    keep_weekly: int = Field(default=4, ge=0, le=520)
    # The PostgreSQL client programs (pg_dump, pg_restore, psql): their folder; empty means
    # PATH, then the newest /usr/lib/postgresql/*/bin.
    pg_bin: Path | None = None


class BackupSettings(Settings):
    """The settings the backups module reads."""

    # Never read on its own: its schema is built only as part of the composed settings.
    model_config = SettingsConfigDict(defer_build=True)

    backups: BackupOptions = Field(default_factory=BackupOptions)
