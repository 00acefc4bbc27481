"""The console from the outside: ``initData`` signed the way Telegram signs it, and an HTTP
client that speaks to a running bot's console (with initData or with a session cookie)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp


def sign_init_data(
    token: str,
    user: dict[str, Any] | int | str,
    auth_date: int | float | None = None,
    **fields: Any,
) -> str:
    """``initData`` for ``user`` (a Telegram user object, an id, or the ``user`` field's raw
    text) as Telegram would hand it
    to a Mini App of the bot with ``token``: every field but ``hash`` sorted by key as
    ``key=value`` lines, signed with HMAC-SHA256 under HMAC-SHA256("WebAppData", token)."""
    if isinstance(user, int):
        user = {"id": user, "first_name": f"User {user}", "language_code": "en"}
    values = {
        "auth_date": str(int(time.time() if auth_date is None else auth_date)),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": user
        if isinstance(user, str)
        else json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        **{key: str(value) for key, value in fields.items()},
    }
    check = "\n".join(f"{key}={values[key]}" for key in sorted(values))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    values["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(values)


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ConsoleClient:
    """Requests to ``http://127.0.0.1:<port>/console/``: with ``init_data`` as
    ``Authorization: tma``, else with whatever cookie the jar holds (and ``csrf``)."""

    def __init__(self, port: int, init_data: str | None = None) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.init_data = init_data
        self.csrf: str | None = None
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def __aenter__(self) -> ConsoleClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.session.close()

    def headers(self, *, csrf: bool = True) -> dict[str, str]:
        headers = {}
        if self.init_data is not None:
            headers["Authorization"] = f"tma {self.init_data}"
        if csrf and self.csrf is not None:
            headers["X-CSRF-Token"] = self.csrf
        return headers

    async def call(
        self, method: str, path: str, body: Any = None, *, csrf: bool = True, **extra: Any
    ) -> Answer:
        url = self.base + (path if path.startswith("/") else "/console/api/" + path)
        kwargs: dict[str, Any] = {"headers": self.headers(csrf=csrf), **extra}
        if body is not None:
            kwargs["json"] = body
        async with self.session.request(method, url, **kwargs) as response:
            text = await response.text()
            try:
                parsed: Any = json.loads(text) if text else None
            except ValueError:
                parsed = text
            return Answer(response.status, parsed, dict(response.headers))

    async def get(self, path: str, **extra: Any) -> Answer:
        return await self.call("GET", path, **extra)

    async def post(self, path: str, body: Any = None, **extra: Any) -> Answer:
        return await self.call("POST", path, body, **extra)
