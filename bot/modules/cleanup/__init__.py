"""Cleanup: retention of finished records, old media and stale cache keys; weekly VACUUM."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module
from bot.modules.cleanup.jobs import SPECS


def register(services: Services) -> Module:
    return Module("cleanup", jobs=SPECS)


__all__ = ["register"]
