"""The process's HTTP server on ``HTTP_LISTEN:HTTP_PORT``: the modules' plain endpoints
(``/healthz``, ``/metrics``) and the console under ``/console/``.

Imported only when ``HTTP_PORT`` is set (it loads aiohttp's server); the console's own code
(authentication, sessions, the API) is imported on the first request under ``/console/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.core.kernel import get_logger
from bot.core.web.declarations import HttpRoute
from bot.core.web.registry import WebRegistry

if TYPE_CHECKING:
    from bot.core.context import App, Services
    from bot.core.web.console import ConsoleApp

log = get_logger(__name__)

SHUTDOWN_GRACE = 5.0  # a request still running at stop gets this, not aiohttp's minute
BODY_MAX = 64 * 1024  # the console's requests are small JSON objects


class WebServer:
    """An aiohttp server, started and stopped with the bot."""

    __slots__ = ("_app", "_console", "_runner", "registry", "services")

    def __init__(self, services: Services, registry: WebRegistry) -> None:
        self.services, self.registry = services, registry
        self._runner: web.AppRunner | None = None
        self._app: App | None = None
        self._console: ConsoleApp | None = None

    async def start(self, app: App) -> None:
        self._app = app
        settings = self.services.settings
        web_app = web.Application(client_max_size=BODY_MAX)
        for endpoint in self.registry.endpoints:
            web_app.router.add_route(endpoint.method, endpoint.path, self._endpoint(endpoint))
        web_app.router.add_get("/console", self._to_console)
        web_app.router.add_route("*", "/console/{tail:.*}", self._console_request)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
        await self._runner.setup()
        await web.TCPSite(self._runner, settings.http_listen, settings.http_port).start()
        where = f"http://{settings.http_listen}:{settings.http_port}"
        log.info("http endpoint listening", url=where, console=f"{where}/console/")

    async def stop(self, _app: App) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _endpoint(self, endpoint: HttpRoute) -> Any:
        async def answer(_request: web.Request) -> web.Response:
            assert self._app is not None
            reply = await endpoint.handler(self._app)
            body = reply.body.encode() if isinstance(reply.body, str) else reply.body
            return web.Response(
                body=body, status=reply.status, headers={"Content-Type": reply.content_type}
            )

        return answer

    async def _to_console(self, _request: web.Request) -> web.Response:
        raise web.HTTPFound("/console/")

    async def _console_request(self, request: web.Request) -> web.StreamResponse:
        if self._console is None:
            from bot.core.web.console import ConsoleApp  # the console's code: on first use

            assert self._app is not None
            self._console = ConsoleApp(self.services, self.registry, self._app)
        return await self._console.handle(request)
