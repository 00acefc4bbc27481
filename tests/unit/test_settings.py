"""Settings: parsing, defaults and one clear line per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.kernel.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BOT_TOKEN", "ADMIN_IDS", "TIMEZONE", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here


def test_defaults_need_no_setup() -> None:
    """With nothing set: SQLite under ./data, UTC, no admins, no token, no Redis."""
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///./data/")
    assert settings.timezone == "UTC" and settings.admin_ids == ()
    assert settings.token() is None and settings.redis_url is None


def test_admin_ids_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    """ADMIN_IDS="1, 2,3" becomes three ids."""
    monkeypatch.setenv("ADMIN_IDS", "1, 2,3")
    assert load_settings().admin_ids == (1, 2, 3)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS: expected comma-separated Telegram user ids"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE: unknown IANA time zone"),
        ("DATABASE_URL", "not a url", "DATABASE_URL: not a database URL"),
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL: unsupported database 'mysql'"),
        ("REDIS_URL", "http://x", "REDIS_URL: expected redis://"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT:"),
    ],
)
def test_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    """Each bad value gives one line that starts with the setting's name."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    lines = str(error.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(fragment)


def test_plain_sqlite_and_postgres_urls_get_async_drivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlite:// and postgresql:// are rewritten to their async drivers."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/companion")
    assert load_settings().database_url == "postgresql+asyncpg://u:p@db/companion"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    assert load_settings().database_url == "sqlite+aiosqlite:///x.db"


def test_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token never appears in the settings' repr."""
    monkeypatch.setenv("BOT_TOKEN", "123:very-secret")
    settings = load_settings()
    assert "very-secret" not in repr(settings) and settings.token() == "123:very-secret"
