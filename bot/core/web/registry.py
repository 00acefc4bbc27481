"""Everything the modules serve over HTTP, collected by ``wire`` and read by the server."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from bot.core.kernel import ConfigError
from bot.core.web.declarations import (
    ConsoleHandler,
    ConsolePage,
    ConsoleRoute,
    HttpRoute,
    Role,
    Served,
)

CORE = "core"  # the owner of the shell's own static files
STATIC = Path(__file__).with_name("static")
_NAME = re.compile(r"[a-z0-9_]+")
_FILE = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|svg|png|json)")
_SEGMENT = re.compile(r"\{([a-z_]+)\}|[A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class Page:
    """A declared page and the module that offers it."""

    module: str
    page: ConsolePage

    @property
    def script_url(self) -> str:
        return f"/console/static/{self.module}/{self.page.script}"


@dataclass(slots=True)
class Route:
    """A declared API route, its path split into segments, its handler once imported."""

    module: str
    route: ConsoleRoute
    segments: tuple[str, ...]
    _handler: ConsoleHandler | None = None

    @property
    def action(self) -> str:
        return self.route.action or f"{self.module}:{'/'.join(self.segments)}"

    def match(self, parts: Sequence[str]) -> dict[str, str] | None:
        """The path parameters when ``parts`` is this route's path; None otherwise."""
        if len(parts) != len(self.segments):
            return None
        params = {}
        for segment, part in zip(self.segments, parts, strict=True):
            if segment.startswith("{"):
                params[segment[1:-1]] = part
            elif segment != part:
                return None
        return params

    def handler(self) -> ConsoleHandler:
        """The handler, imported on first use when it was declared as a dotted name."""
        if self._handler is None:
            declared = self.route.handler
            if isinstance(declared, str):
                where, _, name = declared.partition(":")
                declared = getattr(importlib.import_module(where), name)
            self._handler = declared
        return self._handler


class WebRegistry:
    """Pages, API routes and plain endpoints by module; a duplicate stops the start."""

    __slots__ = ("_endpoints", "_folders", "_pages", "_routes", "package")

    def __init__(self, package: str = "bot.modules") -> None:
        self.package = package  # where a module's console/ folder is looked up
        self._pages: dict[str, Page] = {}
        self._routes: list[Route] = []
        self._endpoints: dict[tuple[str, str], HttpRoute] = {}
        self._folders: dict[str, Path] = {CORE: STATIC}

    def add(self, module: str, served: Sequence[Served]) -> None:
        for item in served:
            if isinstance(item, ConsolePage):
                self._add_page(module, item)
            elif isinstance(item, ConsoleRoute):
                self._add_route(module, item)
            else:
                self._add_endpoint(item)

    def _add_page(self, module: str, page: ConsolePage) -> None:
        if page.id in self._pages:
            raise ConfigError(f"console page {page.id!r} declared twice")
        if not _NAME.fullmatch(module) or not _FILE.fullmatch(page.script):
            raise ConfigError(f"console page {page.id!r}: bad script name {page.script!r}")
        self._pages[page.id] = Page(module, page)

    def _add_route(self, module: str, route: ConsoleRoute) -> None:
        path = route.path.removeprefix("/console/api/").strip("/")
        segments = tuple(path.split("/"))
        if not all(_SEGMENT.fullmatch(segment) for segment in segments):
            raise ConfigError(f"console route {route.path!r}: bad path")
        shape = _shape(segments)
        for known in self._routes:
            if known.route.method == route.method and _shape(known.segments) == shape:
                raise ConfigError(f"console route {route.method} {route.path} declared twice")
        self._routes.append(Route(module, route, segments))

    def _add_endpoint(self, endpoint: HttpRoute) -> None:
        key = (endpoint.method, endpoint.path)
        if key in self._endpoints or endpoint.path.startswith("/console"):
            raise ConfigError(f"HTTP endpoint {endpoint.method} {endpoint.path} declared twice")
        self._endpoints[key] = endpoint

    @property
    def endpoints(self) -> list[HttpRoute]:
        return list(self._endpoints.values())

    def pages(self, role: Role) -> Iterator[Page]:
        """The pages ``role`` may see, by their ``order`` (then as declared)."""
        pages = sorted(self._pages.values(), key=lambda p: p.page.order)  # stable: ties keep
        return (p for p in pages if allowed(role, p.page.role))

    def find(self, parts: Sequence[str]) -> list[tuple[Route, dict[str, str]]]:
        """The routes whose path is ``parts`` (one per method), with their parameters."""
        found = []
        for route in self._routes:
            params = route.match(parts)
            if params is not None:
                found.append((route, params))
        return found

    def below(self, method: str, path: str) -> list[tuple[str, str]]:
        """The (module, last segment) of every ``method`` route one literal segment below
        ``path`` (``users/{id}`` -> ``users/{id}/points``): the sections other modules add
        to a thing a page shows, found without the page's module importing theirs."""
        shape = _shape(tuple(path.strip("/").split("/")))
        return [
            (route.module, route.segments[-1])
            for route in self._routes
            if route.route.method == method
            and len(route.segments) == len(shape) + 1
            and _shape(route.segments[:-1]) == shape
            and not route.segments[-1].startswith("{")
        ]

    def static_file(self, owner: str, name: str) -> Path | None:
        """The file ``/console/static/<owner>/<name>`` names, None if there is none."""
        if not _NAME.fullmatch(owner) or not _FILE.fullmatch(name):
            return None
        folder = self._folders.get(owner) or self._folder_of(owner)
        if folder is None:
            return None
        path = folder / name
        return path if path.is_file() else None

    def _folder_of(self, owner: str) -> Path | None:
        if all(page.module != owner for page in self._pages.values()):
            return None
        spec = find_spec(f"{self.package}.{owner}")
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = Path(next(iter(spec.submodule_search_locations))) / "console"
        self._folders[owner] = folder
        return folder


def _shape(segments: Sequence[str]) -> tuple[str, ...]:
    return tuple("{}" if s.startswith("{") else s for s in segments)


def allowed(role: Role, needed: Role) -> bool:
    """Admins see everything; moderators what is declared for moderators."""
    return role == "admin" or needed == role


def role_of(settings: object, user_id: int) -> Role | None:
    """``admin`` (ADMIN_IDS), ``moderator`` (the moderation module's reviewers, when its
    settings are composed), or None: anyone else."""
    if user_id in getattr(settings, "admin_ids", ()):
        return "admin"
    if user_id in getattr(settings, "moderators", ()):
        return "moderator"
    return None
