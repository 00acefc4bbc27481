"""The console's campaign routes (handlers in ``campaign_api.py``, imported on the first
console request)."""

from __future__ import annotations

from bot.core.web import ConsoleRoute

API = "bot.modules.broadcast.campaign_api"

ROUTES = (
    ConsoleRoute("GET", "audience", f"{API}:audience"),
    ConsoleRoute("GET", "campaigns/{id}", f"{API}:campaign"),
)
