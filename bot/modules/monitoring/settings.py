"""The monitoring module's settings: ``MONITORING__<THRESHOLD>``, the thresholds of
``monitoring.health`` (an incident opens when one is crossed). The application's settings
compose this class (``bot/settings.py``)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from bot.core.kernel import Settings


class MonitoringThresholds(BaseModel):
    """Thresholds of ``monitoring.health``; an incident opens when one is crossed."""

    missed_grace_seconds: int = Field(default=300, ge=0)
    outbox_stall_minutes: int = Field(default=10, ge=1)
    error_rate_per_check: int = Field(default=20, ge=1)


class MonitoringSettings(Settings):
    """The settings the monitoring module reads."""

    # Never read on its own: its schema is built only as part of the composed settings.
    model_config = SettingsConfigDict(defer_build=True)

    monitoring: MonitoringThresholds = Field(default_factory=MonitoringThresholds)
