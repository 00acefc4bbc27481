"""A python-telegram-bot request backend on aiohttp, chosen for throughput.

PTB's default ``HTTPXRequest`` spends about 2 ms of CPU per call in httpx/httpcore, whose
pool scans every open connection on each request; aiohttp's connector hands out a keep-alive
connection in constant time and its HTTP parser is in C, so a call costs a fraction of that
(see the README's delivery benchmark). PTB parses the answer itself (``BaseRequest.post``):
this class only moves bytes and turns aiohttp's failures into PTB's ``TimedOut`` (time-outs,
a full pool) and ``NetworkError`` (everything else), as ``HTTPXRequest`` does, so a 429's
``retry_after``, a 403 or a 400 reach the callers exactly as before.

aiohttp is imported by :meth:`initialize`, not at import time (``bot.app`` stays lean).
aiohttp has no write time-out: a request's write is bounded by its total time-out instead,
set to the write time-out plus the read time-out when both are finite.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    import aiohttp

_Timeouts = tuple[float | None, float | None, float | None, float | None]


def _plus(*values: float | None) -> float | None:
    """The sum of time-outs, or None (no limit) when one of them is unlimited."""
    return None if any(value is None for value in values) else sum(v or 0.0 for v in values)


class AiohttpRequest(BaseRequest):
    """``BaseRequest`` over one ``aiohttp.ClientSession`` with ``connection_pool_size``
    keep-alive connections; the time-outs mean what they mean for ``HTTPXRequest``."""

    __slots__ = ("_defaults", "_media_write_timeout", "_pool", "_pool_size", "_session")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._defaults: _Timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        # The pool's bound is kept here, not by aiohttp's connector, whose single ``connect``
        # time-out covers both waiting for a free connection and opening one.
        self._pool_size = connection_pool_size
        self._pool = asyncio.Semaphore(connection_pool_size)

    @property
    def read_timeout(self) -> float | None:
        return self._defaults[0]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            import aiohttp

            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            self._pool = asyncio.Semaphore(self._pool_size)  # of the loop the session is in
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        import aiohttp

        files = request_data.multipart_data if request_data else None
        read, write, connect, pool = self._resolve(
            bool(files), read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        timeout = aiohttp.ClientTimeout(
            total=_plus(write, read) if write is not None else None,
            connect=connect,
            sock_read=read,
        )
        try:
            headers, data = _body(request_data, files)
            async with (
                self._connection(pool),
                session.request(
                    method, url, data=data, headers=headers, timeout=timeout
                ) as response,
            ):
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's time-outs are TimeoutErrors too
            raise TimedOut(f"aiohttp: {type(err).__name__}: {err}") from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err

    @contextlib.asynccontextmanager
    async def _connection(self, pool_timeout: float | None) -> AsyncIterator[None]:
        """One of ``connection_pool_size`` places, waited for at most ``pool_timeout``."""
        try:
            async with asyncio.timeout(pool_timeout):
                await self._pool.acquire()
        except TimeoutError as err:
            raise TimedOut(
                "Pool timeout: all connections in the connection pool are occupied. "
                "The request was *not* sent to Telegram."
            ) from err
        try:
            yield
        finally:
            self._pool.release()

    def _resolve(self, upload: bool, *given: ODVInput[float]) -> _Timeouts:
        """Each time-out as given for this call, else this request's default (for an upload,
        the media write time-out)."""
        defaults = list(self._defaults)
        if upload:
            defaults[1] = self._media_write_timeout
        read, write, connect, pool = (
            default if isinstance(value, DefaultValue) else value
            for value, default in zip(given, defaults, strict=True)
        )
        return read, write, connect, pool


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _body(request_data: RequestData | None, files: dict[str, Any] | None) -> tuple[Any, Any]:
    """Headers and body: form fields, JSON-encoded as PTB sends them; multipart when there
    are files."""
    if request_data is None:
        return None, None
    if not files:  # encoded here: aiohttp's own form handling costs a tenth of a send's CPU
        return _FORM, request_data.url_encoded_parameters().encode()
    import aiohttp

    fields = request_data.json_parameters

    form = aiohttp.FormData(fields)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return None, form


def bot_request(client: str, pool_size: int = 256) -> BaseRequest:
    """The request backend of the bot's API calls (``TELEGRAM_HTTP_CLIENT``)."""
    if client == "httpx":
        from telegram.request import HTTPXRequest

        return HTTPXRequest(connection_pool_size=pool_size)
    return AiohttpRequest(connection_pool_size=pool_size)
