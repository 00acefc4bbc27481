"""The bot's HTTP server and its console: what modules declare (:class:`ConsolePage`,
:class:`ConsoleRoute`, :class:`HttpRoute`), the registry ``wire`` fills, and the one-time
login tokens ``/console`` hands out.

This face imports no aiohttp: the server (``server.py``) is loaded only when ``HTTP_PORT`` is
set, and the console's authentication, sessions and API (``console.py``) on its first request.
"""

from bot.core.web.declarations import (
    ConsoleError,
    ConsoleHandler,
    ConsolePage,
    ConsoleRequest,
    ConsoleRoute,
    HttpReply,
    HttpRoute,
    Role,
    Served,
)
from bot.core.web.registry import WebRegistry, role_of
from bot.core.web.sessions import LOGIN_TTL, issue_login
from bot.core.web.wiring import web_registry

__all__ = [
    "LOGIN_TTL",
    "ConsoleError",
    "ConsoleHandler",
    "ConsolePage",
    "ConsoleRequest",
    "ConsoleRoute",
    "HttpReply",
    "HttpRoute",
    "Role",
    "Served",
    "WebRegistry",
    "issue_login",
    "role_of",
    "web_registry",
]
