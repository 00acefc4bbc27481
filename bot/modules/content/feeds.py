"""Feed download: stream the body up to a size cap, fall back to the backup URL, parse.

The body is read chunk by chunk until the server ends it or it passes ``MAX_BYTES``
(a single ``read(n)`` returns only what happens to be buffered), so a large feed served
in small chunks arrives whole and an endless one is cut off as a feed error.

Parsing runs in a short-lived child process (``python -I feed_formats.py``, which imports
nothing of the bot): feedparser's lenient fallback parser spends up to a minute of CPU on a
hostile 5 MB document. Apart, that minute neither holds the bot's interpreter nor outlives
``PARSE_SECONDS`` (the child is killed), and a parser crash is one feed's error.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.core.kernel import DEVNULL, PIPE, run_child
from bot.modules.content import feed_formats
from bot.modules.content.feed_formats import FeedError, FeedItem, Parsed, parse

MAX_BYTES = 5 * 1024 * 1024
CHUNK = 64 * 1024
PARSE_SECONDS = 30.0  # a valid 5 MB feed parses in about 4 s

__all__ = [
    "MAX_BYTES",
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
    source: str  # "primary" | "backup"
    note: str  # why the primary was skipped, if it was


async def fetch(url: str, timeout: float, max_bytes: int = MAX_BYTES) -> Parsed:
    """Download and parse one URL; :class:`FeedError` for anything but a usable feed."""
    body, content_type = await download(url, timeout, max_bytes)
    return await parse_apart(body, content_type)


async def parse_apart(body: bytes, content_type: str, budget: float = PARSE_SECONDS) -> Parsed:
    """:func:`parse` in a child process, killed after ``budget`` seconds."""
    args = (sys.executable, "-I", feed_formats.__file__, content_type)
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
    return Parsed(items, int(result["skipped"]))


async def download(url: str, timeout: float, max_bytes: int = MAX_BYTES) -> tuple[bytes, str]:
    """The whole body (at most ``max_bytes``) and its Content-Type; :class:`FeedError` else."""
    try:
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=client_timeout) as http, http.get(url) as resp:
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
    except TimeoutError:
        raise FeedError(f"no answer within {timeout:g}s") from None
    except aiohttp.ClientError as exc:
        raise FeedError(f"unreachable ({type(exc).__name__})") from None


def _too_large(max_bytes: int) -> str:
    return f"larger than {max_bytes / 1024 / 1024:g} MB"


async def fetch_with_backup(url: str, backup: str | None, timeout: float) -> Fetched:
    """The primary's items, or the backup's when the primary fails; both failing raises."""
    try:
        parsed = await fetch(url, timeout)
        return Fetched(parsed.items, parsed.skipped, "primary", "")
    except FeedError as primary:
        if backup is None:
            raise FeedError(f"primary {primary}; no backup URL") from None
        try:
            parsed = await fetch(backup, timeout)
        except FeedError as secondary:
            raise FeedError(f"primary {primary}; backup {secondary}") from None
        return Fetched(parsed.items, parsed.skipped, "backup", f"primary {primary}")
