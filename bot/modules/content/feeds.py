"""Feed download: stream the body up to a size cap, fall back to the backup URL, parse.

The body is read chunk by chunk until the server ends it or it passes ``MAX_BYTES``
(a single ``read(n)`` returns only what happens to be buffered), so a large feed served
in small chunks arrives whole and an endless one is cut off as a feed error.

Every hop goes where :mod:`feed_address` allows: redirects are followed here, one at a
time (at most ``MAX_REDIRECTS``), each target checked before it is asked; every host is
checked again on the addresses it resolves to, when the connection is made.

Parsing runs in a short-lived child process (``python -I feed_formats.py``, which imports
nothing of the bot): feedparser's lenient fallback parser spends up to a minute of CPU on a
hostile 5 MB document. Apart, that minute neither holds the bot's interpreter nor outlives
``PARSE_SECONDS`` (the child is killed), and a parser crash is one feed's error.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.core.kernel import DEVNULL, PIPE, run_child
from bot.modules.content import feed_formats
from bot.modules.content.feed_address import AddressPolicy
from bot.modules.content.feed_formats import FeedError, FeedItem, Parsed, parse

MAX_BYTES = 5 * 1024 * 1024
CHUNK = 64 * 1024
PARSE_SECONDS = 30.0  # a valid 5 MB feed parses in about 4 s
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

__all__ = [
    "MAX_BYTES",
    "AddressPolicy",
    "FeedError",
    "FeedItem",
    "Fetched",
    "Parsed",
    "fetch",
    "parse",
    "parse_apart",
]


@dataclass(frozen=True, slots=True)
class Fetched:
    items: list[FeedItem]  # newest first
    skipped: int  # items without text
    dropped: int  # the oldest items past FEED_MAX_ITEMS, ignored
    source: str  # "primary" | "backup"
    note: str  # why the primary was skipped, if it was


async def fetch(
    url: str, timeout: float, policy: AddressPolicy, max_items: int | None = None
) -> Parsed:
    """Download and parse one URL; :class:`FeedError` for anything but a usable feed."""
    body, content_type = await download(url, timeout, policy)
    return await parse_apart(body, content_type, max_items=max_items)


async def parse_apart(
    body: bytes, content_type: str, budget: float = PARSE_SECONDS, max_items: int | None = None
) -> Parsed:
    """:func:`parse` in a child process, killed after ``budget`` seconds."""
    args = [sys.executable, "-I", feed_formats.__file__, content_type]
    if max_items is not None:
        args.append(str(max_items))
    try:
        exited = await run_child(*args, data=body, timeout=budget, stdout=PIPE, stderr=DEVNULL)
    except TimeoutError:
        raise FeedError(f"not parsed within {budget:g}s") from None
    if exited.status != 0:
        raise FeedError(f"the parser failed (exit status {exited.status})")
    return _parsed(json.loads(exited.out))


def _parsed(result: dict[str, Any]) -> Parsed:
    if "error" in result:
        raise FeedError(str(result["error"]))
    items = [FeedItem(*fields) for fields in result["items"]]
    return Parsed(items, int(result["skipped"]), int(result.get("dropped", 0)))


async def download(
    url: str, timeout: float, policy: AddressPolicy, max_bytes: int = MAX_BYTES
) -> tuple[bytes, str]:
    """The whole body (at most ``max_bytes``) and its Content-Type, following redirects
    that ``policy`` allows; :class:`FeedError` else. ``timeout`` bounds every hop together."""
    try:
        async with asyncio.timeout(timeout):
            return await _follow(URL(url), policy, max_bytes)
    except TimeoutError:
        raise FeedError(f"no answer within {timeout:g}s") from None
    except aiohttp.ClientError as exc:
        raise FeedError(f"unreachable ({type(exc).__name__})") from None
    except ValueError:  # yarl: a URL (or a redirect's Location) that is not one
        raise FeedError("not a valid URL") from None


async def _follow(url: URL, policy: AddressPolicy, max_bytes: int) -> tuple[bytes, str]:
    connector = aiohttp.TCPConnector(resolver=CheckedResolver(policy))
    async with aiohttp.ClientSession(connector=connector) as http:
        for hop in range(MAX_REDIRECTS + 1):
            _allowed(url, policy, redirect=hop > 0)
            async with http.get(url, allow_redirects=False) as resp:
                location = resp.headers.get("Location")
                if resp.status in _REDIRECTS and location:
                    url = resp.url.join(URL(location))
                    continue
                return await _body(resp, max_bytes)
    raise FeedError(f"more than {MAX_REDIRECTS} redirects")


def _allowed(url: URL, policy: AddressPolicy, *, redirect: bool) -> None:
    """:class:`FeedError` when ``policy`` refuses ``url`` (its scheme, an address in it)."""
    host = url.host or ""
    problem = policy.scheme_problem(url.scheme, str(url)) or policy.host_problem(host)
    if problem:
        raise FeedError(f"redirect to {host} refused: {problem}" if redirect else problem)


async def _body(resp: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, str]:
    if resp.status != 200:
        raise FeedError(f"HTTP {resp.status}")
    if (resp.content_length or 0) > max_bytes:
        raise FeedError(_too_large(max_bytes))
    body = bytearray()
    async for chunk in resp.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise FeedError(_too_large(max_bytes))
    return bytes(body), resp.headers.get("Content-Type", "")


class CheckedResolver(AbstractResolver):
    """aiohttp's resolver, refusing a host any of whose addresses ``policy`` refuses: the
    addresses checked are the ones connected to (a second lookup cannot answer otherwise)."""

    __slots__ = ("_inner", "_policy")

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if problem := self._policy.refused(entry["host"] for entry in found):
            raise FeedError(f"{host} refused: {problem}")
        return found

    async def close(self) -> None:
        await self._inner.close()


def _too_large(max_bytes: int) -> str:
    return f"larger than {max_bytes / 1024 / 1024:g} MB"


async def fetch_with_backup(
    url: str,
    backup: str | None,
    timeout: float,
    policy: AddressPolicy,
    max_items: int | None = None,
) -> Fetched:
    """The primary's items, or the backup's when the primary fails; both failing raises."""
    try:
        parsed = await fetch(url, timeout, policy, max_items)
        return Fetched(parsed.items, parsed.skipped, parsed.dropped, "primary", "")
    except FeedError as primary:
        if backup is None:
            raise FeedError(f"primary {primary}; no backup URL") from None
        try:
            parsed = await fetch(backup, timeout, policy, max_items)
        except FeedError as secondary:
            raise FeedError(f"primary {primary}; backup {secondary}") from None
        return Fetched(parsed.items, parsed.skipped, parsed.dropped, "backup", f"primary {primary}")
