"""The console under ``/console/``: the page shell, static files, login links and the JSON
API, with authentication, roles, CSRF and the audit log applied to every route the
modules declare. Imported on the first console request."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.core.kernel import get_logger, redact
from bot.core.people import _, language_of, speaking
from bot.core.web import audit
from bot.core.web.access import Principal, authenticate, csrf_ok, set_cookie
from bot.core.web.declarations import CHANGING, ConsoleError, ConsoleRequest, Role
from bot.core.web.registry import STATIC, Route, WebRegistry, allowed, role_of
from bot.core.web.sessions import SESSION_TTL, open_session, redeem_login, spend_init_data

if TYPE_CHECKING:
    from bot.core.context import App, Services

log = get_logger(__name__)

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
SHELL_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' https://telegram.org; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
    ),
    "X-Content-Type-Options": "nosniff",
}
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
         ".png": "image/png", ".json": "application/json"}  # fmt: skip


def refusal(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=NO_STORE)


class ConsoleApp:
    """Answers every request under ``/console/``."""

    __slots__ = ("app", "registry", "services")

    def __init__(self, services: Services, registry: WebRegistry, app: App) -> None:
        self.services, self.registry, self.app = services, registry, app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("tail", "")
        if tail.startswith("api/"):
            return await self.api(request, tail.removeprefix("api/").strip("/"))
        if request.method != "GET":
            return refusal(405, "method not allowed")
        if tail == "":
            return web.FileResponse(STATIC / "index.html", headers=SHELL_HEADERS)
        if tail == "login":
            return await self.login(request)
        owner, _sep, name = tail.removeprefix("static/").partition("/")
        path = self.registry.static_file(owner, name) if tail.startswith("static/") else None
        if path is None:
            return refusal(404, "not found")
        kind = TYPES.get(path.suffix, "application/octet-stream")
        headers = {
            "Content-Type": kind,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        }
        return web.FileResponse(path, headers=headers)

    async def login(self, request: web.Request) -> web.StreamResponse:
        """A one-time login link: a session cookie for its admin, then the console."""
        now = self.services.clock.now()
        user_id = await redeem_login(self.services.db, request.query.get("token", ""), now)
        if user_id is None or role_of(self.services.settings, user_id) is None:
            text = "This login link is used up or has expired: send /console again."
            return web.Response(text=text, status=401, headers=NO_STORE)
        token, _session = await open_session(self.services.db, user_id, now)
        response = web.Response(status=303, headers={**NO_STORE, "Location": "/console/"})
        set_cookie(response, self.services, token, int(SESSION_TTL.total_seconds()))
        return response

    async def api(self, request: web.Request, path: str) -> web.StreamResponse:
        principal = await authenticate(self.services, request)
        if principal is None:
            return refusal(401, "not signed in (or the sign-in has expired)")
        role = role_of(self.services.settings, principal.user_id)
        if path == "session" and request.method == "POST" and principal.session is None:
            return await self.open(principal, role)
        if role is None:
            return refusal(403, "the console is for the bot's admins")
        if request.method == "GET" and path == "me":
            return web.json_response(await self.me(principal, role), headers=NO_STORE)
        if request.method == "GET" and path == "audit":
            if role != "admin":
                return refusal(403, "admins only")
            return await self.audit_log(request)
        return await self.route(request, path, principal, role)

    async def audit_log(self, request: web.Request) -> web.StreamResponse:
        """``GET audit?limit=&before=&action=``: the newest lines (1 to 200, 50 without
        ``limit``), older than line ``before``, of one action; anything else is 400."""
        query = request.query
        limit = _number(query.get("limit"), audit.LIST_MAX, 50)
        before = _number(query.get("before"), 2**63 - 1, None)
        action = query.get("action") or None
        if limit is None:
            return refusal(400, f"limit is a whole number from 1 to {audit.LIST_MAX}")
        if "before" in query and before is None:
            return refusal(400, "before is the id of an audit line (a whole number from 1)")
        if action is not None and (len(action) > 100 or not action.isprintable()):
            return refusal(400, "action is an action's name (at most 100 characters)")
        found = await audit.entries(self.services.db, limit=limit, before=before, action=action)
        return web.json_response(found, headers=NO_STORE, dumps=_dumps)

    async def open(self, principal: Principal, role: Role | None) -> web.StreamResponse:
        """``POST /console/api/session`` with initData: a cookie session for the page."""
        if role is None:
            return refusal(403, "the console is for the bot's admins")
        now = self.services.clock.now()
        assert principal.signature is not None  # a session is opened with initData only
        if not await spend_init_data(self.services.db, principal.signature, principal.user_id, now):
            return refusal(401, "this sign-in was already used for a session: reopen the console")
        token, session = await open_session(
            self.services.db, principal.user_id, self.services.clock.now()
        )
        response = web.json_response({"csrf": session.csrf}, headers=NO_STORE)
        set_cookie(response, self.services, token, int(SESSION_TTL.total_seconds()))
        return response

    async def me(self, principal: Principal, role: Role) -> dict[str, Any]:
        language = await self.language(principal.user_id)
        with speaking(language):
            pages = [
                {
                    "id": page.page.id,
                    "title": _(page.page.title),
                    "script": page.script_url,
                    "texts": {key: _(text) for key, text in page.page.texts.items()},
                }
                for page in self.registry.pages(role)
            ]
        me: dict[str, Any] = {"user_id": principal.user_id, "role": role, "language": language}
        if principal.session is not None:
            me["csrf"] = principal.session.csrf
        me["pages"] = pages
        return me

    async def language(self, user_id: int) -> str:
        async with self.services.db.session() as session:
            return await language_of(session, user_id)

    async def route(
        self, request: web.Request, path: str, principal: Principal, role: Role
    ) -> web.StreamResponse:
        found = self.registry.find(path.split("/"))
        chosen = [(r, params) for r, params in found if r.route.method == request.method]
        if not found:
            return refusal(404, "not found")
        if not chosen:
            return refusal(405, "method not allowed")
        route, params = chosen[0]
        changing = request.method in CHANGING
        target = "/".join(params.values()) or None
        refused = None
        if not allowed(role, route.route.role):
            refused = refusal(403, "not for your role")
        elif changing and not csrf_ok(principal, request):
            refused = refusal(403, "missing or wrong CSRF token")
        if refused is not None:
            if changing:
                await self.audit(principal, route, target, "refused", refused.text)
            return refused
        body = await _body(request) if changing else {}
        if body is None:
            return refusal(400, "expected a JSON object")
        call = ConsoleRequest(
            services=self.services,
            user_id=principal.user_id,
            role=role,
            language=await self.language(principal.user_id),
            params=params,
            query=dict(request.query),
            body=body,
            registry=self.registry,
        )
        return await self.call(route, call, target, principal, changing)

    async def call(
        self,
        route: Route,
        call: ConsoleRequest,
        target: str | None,
        principal: Principal,
        changing: bool,
    ) -> web.StreamResponse:
        try:
            with speaking(call.language):
                result = await route.handler()(call)
        except ConsoleError as exc:
            if changing:
                await self.audit(principal, route, target, "refused", exc.message)
            return refusal(exc.status, exc.message)
        except Exception as exc:
            ref = secrets.token_hex(3)
            log.exception("console request failed", ref=ref, action=route.action)
            if changing:
                await self.audit(
                    principal, route, target, "error", f"{type(exc).__name__} (ref {ref})"
                )
            body = {"error": redact(f"{type(exc).__name__}: {exc}"), "ref": ref}
            return web.json_response(body, status=500, headers=NO_STORE)
        if changing:
            await self.audit(principal, route, target, "ok", _detail(call.body))
        return web.json_response(result, headers=NO_STORE, dumps=_dumps)

    async def audit(
        self,
        principal: Principal,
        route: Route,
        target: str | None,
        result: audit.Result,
        detail: str | None,
    ) -> None:
        await audit.record(
            self.services.db,
            at=self.services.clock.now(),
            user_id=principal.user_id,
            action=route.action,
            target=target,
            result=result,
            detail=detail,
        )


def _number(text: str | None, most: int, default: int | None) -> int | None:
    """``text`` as a whole number from 1 to ``most``; ``default`` without it, None if bad."""
    from bot.core.kernel import ascii_int

    return default if text is None else ascii_int(text, 1, most)


async def _body(request: web.Request) -> dict[str, Any] | None:
    """The JSON object a request carries ({} for none); None for anything else."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _detail(body: dict[str, Any] | Any) -> str | None:
    return json.dumps(body, ensure_ascii=False, default=str)[:300] if body else None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
