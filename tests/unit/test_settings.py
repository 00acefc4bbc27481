"""Settings: parsing, defaults and one clear line per bad value."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.core.kernel.settings import ConfigError, load_settings
from bot.settings import CompanionSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BOT_TOKEN", "ADMIN_IDS", "TIMEZONE", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here


def test_defaults_need_no_setup() -> None:
    """With nothing set: SQLite under ./data, UTC, no admins, no token, no Redis."""
    settings = load_settings(CompanionSettings)
    assert settings.database_url.startswith("sqlite+aiosqlite:///./data/")
    assert settings.timezone == "UTC" and settings.admin_ids == ()
    assert settings.token() is None and settings.redis_url is None


def test_admin_ids_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    """ADMIN_IDS="1, 2,3" becomes three ids."""
    monkeypatch.setenv("ADMIN_IDS", "1, 2,3")
    assert load_settings(CompanionSettings).admin_ids == (1, 2, 3)


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
        load_settings(CompanionSettings)
    lines = str(error.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(fragment)


def test_plain_sqlite_and_postgres_urls_get_async_drivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlite:// and postgresql:// are rewritten to their async drivers."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/companion")
    assert load_settings(CompanionSettings).database_url == "postgresql+asyncpg://u:p@db/companion"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    assert load_settings(CompanionSettings).database_url == "sqlite+aiosqlite:///x.db"


def test_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token never appears in the settings' repr."""
    monkeypatch.setenv("BOT_TOKEN", "123:very-secret")
    settings = load_settings(CompanionSettings)
    assert "very-secret" not in repr(settings) and settings.token() == "123:very-secret"


def test_module_settings_are_composed_and_read_through_of(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module's settings live beside it; the application's settings compose them all and
    read the same environment names as before (MODERATOR_IDS, MODERATION__..., FEEDS)."""
    from bot.core.kernel import Settings
    from bot.modules.moderation.settings import ModerationSettings

    monkeypatch.setenv("MODERATOR_IDS", "7, 8")
    monkeypatch.setenv("MODERATION__MAX_PER_DAY", "9")
    monkeypatch.setenv("MISSION_TIME", "08:30")
    settings = load_settings(CompanionSettings)
    moderation = settings.of(ModerationSettings)
    assert moderation.moderators == (7, 8) and moderation.moderation.max_per_day == 9
    assert settings.mission_time == time(8, 30)
    kernel_only = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="does not compose ModerationSettings"):
        kernel_only.of(ModerationSettings)
    assert "moderator_ids" not in Settings.model_fields  # core knows no module


def test_every_module_declaring_settings_is_composed(tmp_path: Path) -> None:
    """Each Module's declared settings class is one the application's settings compose:
    building the bot checks it (a module whose settings were left out stops the start)."""
    from bot.app import build_application
    from bot.core.kernel import Settings
    from tests.conftest import make_settings

    app = build_application(make_settings(tmp_path))
    assert app.bot_data  # built: every declared settings class is composed
    bare = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/k.db")  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="does not compose"):
        build_application(bare)


@pytest.mark.parametrize("text", ["9", "25:00", "08:60", "8.30", "08:3", "", "０９:００", "²:00"])
def test_a_bad_mission_time_names_the_setting(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("MISSION_TIME", text)
    with pytest.raises(ConfigError, match="MISSION_TIME: expected a time of day such as 09:00"):
        load_settings(CompanionSettings)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_mission_time_is_read_totally(text: str) -> None:
    """Any text is either a time of day written HH:MM (the same one back) or a clear
    ValueError; never another exception."""
    try:
        parsed = CompanionSettings(_env_file=None, mission_time=text)  # type: ignore[call-arg]
    except ValidationError as exc:
        assert "expected a time of day such as 09:00" in str(exc)
        return
    hours, _, minutes = text.strip().partition(":")
    assert parsed.mission_time == time(int(hours), int(minutes))


def test_errors_name_the_setting_as_written_and_echo_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTP_PORT=abc says what it got; a field inside FEEDS' JSON is FEEDS[0].url; a nested
    setting is named with __; a secret's value is never echoed."""
    monkeypatch.setenv("HTTP_PORT", "abc")
    monkeypatch.setenv("FEEDS", '[{"name": "news", "url": "ftp://example.com/feed"}]')
    monkeypatch.setenv("MODERATION__MAX_PER_DAY", "0")
    monkeypatch.setenv("DATABASE_URL", "mysql://user:hunter2@db/x")
    with pytest.raises(ConfigError) as raised:
        load_settings(CompanionSettings)
    lines = str(raised.value).splitlines()
    port = "HTTP_PORT: Input should be a valid integer, unable to parse string as an integer"
    assert f"{port} (got 'abc')" in lines
    assert any(line.startswith("FEEDS[0].url: feed URL must start with") for line in lines)
    assert "MODERATION__MAX_PER_DAY: Input should be greater than or equal to 1 (got '0')" in lines
    assert any(line.startswith("DATABASE_URL:") for line in lines)
    assert "hunter2" not in str(raised.value)
