"""One :class:`WebRegistry` per application, and the server that serves it when
``HTTP_PORT`` is set (its start and stop hooks added once, with the first module wired)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core.web.audit import audit_purger
from bot.core.web.registry import WebRegistry
from bot.core.web.sessions import purge_sessions

if TYPE_CHECKING:
    from bot.core.context import App, Services

REGISTRY = "companion.web"  # the key of the registry in ``Application.bot_data``


def web_registry(app: App, services: Services) -> WebRegistry:
    """The application's registry, made (with its server and purgers) on first use."""
    registry: WebRegistry | None = app.bot_data.get(REGISTRY)
    if registry is None:
        registry = app.bot_data[REGISTRY] = WebRegistry()
        services.purgers.add("core.console_sessions", purge_sessions)
        kept = timedelta(days=services.settings.retention.audit_days)
        services.purgers.add("core.console_audit", audit_purger(kept))
        if services.settings.http_port is not None:
            from bot.core.web.server import WebServer  # aiohttp's server only with HTTP_PORT

            server = WebServer(services, registry)
            services.on_start.append(server.start)
            services.on_stop.append(server.stop)
    return registry
