"""Who a console request comes from: Telegram's signed ``initData`` (``Authorization: tma``)
or a session cookie; and whether a state change carries its session's CSRF token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.web import auth
from bot.core.web.sessions import Session, find_session

if TYPE_CHECKING:
    from bot.core.context import Services

COOKIE = "companion_console"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user; ``session`` is None when the request carried initData."""

    user_id: int
    session: Session | None = None
    cookie: str | None = None
    signature: str | None = None  # the initData's hash, when it came with initData


def init_data(request: web.Request) -> str | None:
    """The initData of ``Authorization: tma <initData>``; None without that header."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "tma" else None


async def authenticate(services: Services, request: web.Request) -> Principal | None:
    """The user behind ``request``: initData when the header is there (a bad one is not
    rescued by a cookie), else the session cookie; None when neither holds."""
    now = services.clock.now()
    raw = init_data(request)
    if raw is not None:
        max_age = services.settings.console_auth_max_age
        signed = auth.validate(raw, services.bot.token, now=now.timestamp(), max_age=max_age)
        if signed is None:
            return None
        return Principal(signed.user_id, signature=signed.fields["hash"])
    if request.headers.get("Authorization"):
        return None  # another scheme: not ours
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    session = await find_session(services.db, cookie, now)
    return None if session is None else Principal(session.user_id, session, cookie)


def csrf_ok(principal: Principal, request: web.Request) -> bool:
    """True for initData (not an ambient credential) or a matching ``X-CSRF-Token``."""
    if principal.session is None:
        return True
    given = request.headers.get(CSRF_HEADER, "")
    return hmac.compare_digest(given.encode(), principal.session.csrf.encode())


def set_cookie(response: web.StreamResponse, services: Services, token: str, max_age: int) -> None:
    url = services.settings.console_url or ""
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/console/",
        httponly=True,
        samesite="Strict",
        secure=url.startswith("https://"),
    )
