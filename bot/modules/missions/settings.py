"""The missions module's settings: ``MISSION_TIME``, the local time a user's daily mission
arrives unless they chose their own with /missiontime (``HH:MM``, default 09:00). The
application's settings compose this class (``bot/settings.py``)."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from bot.core.kernel import Settings


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
            hours, sep, minutes = value.strip().partition(":")
            if not (sep and hours.isascii() and hours.isdigit() and minutes.isascii()):
                raise ValueError(f"expected a time of day such as 09:00, got {value!r}")
            if not (minutes.isdigit() and len(minutes) == 2 and int(hours) < 24):
                raise ValueError(f"expected a time of day such as 09:00, got {value!r}")
            if int(minutes) > 59:
                raise ValueError(f"expected a time of day such as 09:00, got {value!r}")
            return time(int(hours), int(minutes))
        return value
