"""The heartbeat settings are checked at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.kernel.settings import ConfigError, load_settings
from bot.settings import CompanionSettings

pytestmark = pytest.mark.own_database  # no database: the PostgreSQL run would repeat it as is


def test_stale_threshold_below_three_heartbeats_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """INSTANCE_STALE_SECONDS under 3 heartbeats stops start-up with a line naming it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSTANCE_HEARTBEAT_SECONDS", "2")
    monkeypatch.setenv("INSTANCE_STALE_SECONDS", "5")
    with pytest.raises(ConfigError) as caught:
        load_settings(CompanionSettings)
    assert "INSTANCE_STALE_SECONDS: must be at least 3 heartbeats" in str(caught.value)


def test_default_heartbeat_settings_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The defaults: a heartbeat every second, presumed dead after five."""
    monkeypatch.chdir(tmp_path)
    settings = load_settings(CompanionSettings)
    assert (settings.instance_heartbeat_seconds, settings.instance_stale_seconds) == (1.0, 5.0)
