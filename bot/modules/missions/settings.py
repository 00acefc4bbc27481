"""The missions module's settings: ``MISSION_TIME``, the local time a user's daily mission
arrives unless they chose their own with /missiontime (``HH:MM``, default 09:00). The
application's settings compose this class (``bot/settings.py``)."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from bot.core.kernel import Settings, ascii_int


class MissionSettings(Settings):
    """The settings the missions module reads."""

    # Never read on its own: its schema is built only as part of the composed settings.
    model_config = SettingsConfigDict(defer_build=True)

    mission_time: time = time(9, 0)

    @field_validator("mission_time", mode="before")
    @classmethod
    def _wall_clock(cls, value: Any) -> Any:
        """``08:30`` (or ``8:30``): a time of day, to the minute, without a zone."""
        if isinstance(value, str):
            hours_text, sep, minutes_text = value.strip().partition(":")
            hours = ascii_int(hours_text, 0, 23) if len(hours_text) <= 2 else None
            minutes = ascii_int(minutes_text, 0, 59) if len(minutes_text) == 2 else None
            if not sep or hours is None or minutes is None:
                raise ValueError(f"expected a time of day such as 09:00, got {value!r}")
            return time(hours, minutes)
        return value
