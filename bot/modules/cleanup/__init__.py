"""Cleanup: retention of finished records, old media and stale cache keys; weekly VACUUM."""

from __future__ import annotations

from bot.core.context import App, Services
from bot.modules.cleanup.jobs import SPECS


def register(app: App, services: Services) -> None:
    for spec in SPECS:
        services.jobs.add(spec)


__all__ = ["register"]
