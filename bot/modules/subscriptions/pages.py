"""The subscriptions' console routes: a person's VIP section on the People page (accounts
lists it under ``users/{id}``) and its grant and revoke (handlers in ``console_api.py``,
imported on the first console request)."""

from __future__ import annotations

from bot.core.web import ConsoleRoute

API = "bot.modules.subscriptions.console_api"

CONSOLE = (
    ConsoleRoute("GET", "users/{id}/vip", f"{API}:vip"),
    ConsoleRoute("POST", "users/{id}/vip/grant", f"{API}:grant", action="vip.grant"),
    ConsoleRoute("POST", "users/{id}/vip/revoke", f"{API}:revoke", action="vip.revoke"),
)
