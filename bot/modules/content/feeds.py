"""Feed reading: download with a timeout, fall back to the backup URL, parse RSS/Atom/JSON Feed.

XML is parsed with ``defusedxml`` (no entity expansion, no external entities): a feed is
input from the internet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import aiohttp
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

ATOM = "{http://www.w3.org/2005/Atom}"
MAX_BYTES = 5 * 1024 * 1024


class FeedError(Exception):
    """A feed could not be read or understood; the message says why."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry: ``id`` is its guid/id, else its link, else its title."""

    id: str
    title: str
    link: str

    def as_post(self, limit: int = 4096) -> str:
        text = "\n\n".join(part for part in (self.title, self.link) if part)
        return text[:limit]


@dataclass(frozen=True, slots=True)
class Fetched:
    items: list[FeedItem]
    source: str  # "primary" | "backup"
    note: str  # why the primary was skipped, if it was


async def fetch(url: str, timeout: float) -> list[FeedItem]:
    """Download and parse one URL; :class:`FeedError` for anything but a usable feed."""
    try:
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=client_timeout) as http, http.get(url) as resp:
            if resp.status != 200:
                raise FeedError(f"HTTP {resp.status}")
            body = await resp.content.read(MAX_BYTES + 1)
    except TimeoutError:
        raise FeedError(f"no answer within {timeout:g}s") from None
    except aiohttp.ClientError as exc:
        raise FeedError(f"unreachable ({type(exc).__name__})") from None
    if len(body) > MAX_BYTES:
        raise FeedError("larger than 5 MB")
    return parse(body)


async def fetch_with_backup(url: str, backup: str | None, timeout: float) -> Fetched:
    """The primary's items, or the backup's when the primary fails; both failing raises."""
    try:
        return Fetched(await fetch(url, timeout), "primary", "")
    except FeedError as primary:
        if backup is None:
            raise FeedError(f"primary {primary}; no backup URL") from None
        try:
            return Fetched(await fetch(backup, timeout), "backup", f"primary {primary}")
        except FeedError as secondary:
            raise FeedError(f"primary {primary}; backup {secondary}") from None


def parse(body: bytes) -> list[FeedItem]:
    """RSS 2.0, Atom or JSON Feed, recognised by content."""
    if body.lstrip()[:1] in (b"{", b"["):
        return _json_feed(body)
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise FeedError(f"malformed XML ({exc})") from None
    if root.tag == "rss":
        return [_rss_item(item) for item in root.iterfind("channel/item")]
    if root.tag == f"{ATOM}feed":
        return [_atom_entry(entry) for entry in root.iterfind(f"{ATOM}entry")]
    raise FeedError(f"not RSS or Atom (root element {root.tag!r})")


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _item(identity: str, title: str, link: str) -> FeedItem:
    key = identity or link or title
    if not key:
        raise FeedError("an item has no id, link or title")
    return FeedItem(key[:500], title, link)


def _rss_item(item: Element) -> FeedItem:
    link = _text(item.find("link"))
    return _item(_text(item.find("guid")), _text(item.find("title")), link)


def _atom_entry(entry: Element) -> FeedItem:
    links = entry.findall(f"{ATOM}link")
    alternate = [x for x in links if x.get("rel", "alternate") == "alternate"] or links
    link = (alternate[0].get("href") or "").strip() if alternate else ""
    return _item(_text(entry.find(f"{ATOM}id")), _text(entry.find(f"{ATOM}title")), link)


def _json_feed(body: bytes) -> list[FeedItem]:
    try:
        document: Any = json.loads(body)
    except ValueError as exc:
        raise FeedError(f"malformed JSON ({exc})") from None
    version = document.get("version", "") if isinstance(document, dict) else ""
    items = document.get("items") if isinstance(document, dict) else None
    if not str(version).startswith("https://jsonfeed.org/version/") or not isinstance(items, list):
        raise FeedError("JSON that is not a JSON Feed (no version/items)")
    parsed = []
    for item in items:
        if not isinstance(item, dict):
            raise FeedError("a JSON Feed item is not an object")
        parsed.append(_item(str(item.get("id") or ""), str(item.get("title") or ""),
                            str(item.get("url") or "")))  # fmt: skip
    return parsed
