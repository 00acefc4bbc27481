"""What a module declares for the HTTP server: console pages, console API routes, and plain
endpoints (``/healthz``). Data only: nothing here imports aiohttp, so a bot without
``HTTP_PORT`` pays for these classes and nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from bot.core.context import App, Services

Role = Literal["admin", "moderator"]
Method = Literal["GET", "POST", "PUT", "DELETE"]
CHANGING: frozenset[str] = frozenset({"POST", "PUT", "DELETE"})


@dataclass(frozen=True, slots=True)
class ConsolePage:
    """A page of the console: ``script`` is a file in the module's ``console/`` folder
    (served as ``/console/static/<module>/<script>``) that calls ``Console.register``;
    ``title`` and ``texts`` are English marked with ``N_``, shown in the reader's language."""

    id: str
    title: str
    script: str
    texts: Mapping[str, str] = field(default_factory=dict)
    role: Role = "admin"
    order: int = 100  # the tabs' order, lowest first (Overview is 0)


class Routes(Protocol):
    """What a handler may ask of the console's routes (the registry answers)."""

    def below(self, method: str, path: str) -> list[tuple[str, str]]:
        """The (module, segment) of the ``method`` routes one literal segment below ``path``."""
        ...


@dataclass(frozen=True, slots=True)
class ConsoleRequest:
    """What a console API handler is given: who asks, in which language, and what."""

    services: Services
    user_id: int
    role: Role
    language: str
    params: Mapping[str, str] = field(default_factory=dict)  # from the path: {name}
    query: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)  # a POST's JSON object
    registry: Routes | None = None  # what the console serves (``below``: other sections)


ConsoleHandler = Callable[[ConsoleRequest], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class ConsoleRoute:
    """``METHOD /console/api/<path>`` (``path`` may hold ``{name}`` parameters). ``handler``
    is the coroutine function, or ``"package.module:function"`` imported on the first request
    (so a module's console code costs nothing until the console is used). Every POST, PUT
    and DELETE is audited as ``action`` (default: the module and the path)."""

    method: Method
    path: str
    handler: ConsoleHandler | str
    role: Role = "admin"
    action: str | None = None


class ConsoleError(Exception):
    """A handler's refusal: 400 (bad input), 404 (no such thing), 409 (not now)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True, slots=True)
class HttpReply:
    """A plain endpoint's answer."""

    body: bytes | str
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """A plain endpoint outside the console (``GET /healthz``): no authentication, for a
    supervisor or Prometheus on the private network; ``handler(app)`` answers."""

    method: Method
    path: str
    handler: Callable[[App], Awaitable[HttpReply]]


Served = ConsolePage | ConsoleRoute | HttpRoute
