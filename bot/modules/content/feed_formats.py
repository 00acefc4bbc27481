"""Feed documents to items: XML feeds through feedparser, JSON Feed through json.

Real feeds are messy (a dozen date formats, wrong or missing encodings, RSS 0.9x, 1.0/RDF,
2.0 and Atom, namespaces, HTML in titles): feedparser is the library kept for exactly
that. It never fetches anything here (the body is handed over as a stream), drops entity
declarations that could expand, and is asked for nothing but entries. A document is a
feed error when it is empty, declares XML entities, is broken beyond any entry, or is
not a feed; whatever a parser raises on hostile input (``RecursionError`` on deeply
nested JSON included) becomes :class:`FeedError` too. Items without any text are
skipped and counted, never turned into empty posts.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_PROLOG_END = re.compile(rb"<[A-Za-z_]")  # the first element: entity declarations come before
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
TEXT_MAX, ITEM_ID_MAX = 1000, 500  # characters of a title or summary; of an id (the column)


class FeedError(Exception):
    """A feed could not be read or understood; the message says why."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry: ``id`` is its guid/id, else its link, else its title (else a digest)."""

    id: str
    title: str
    link: str
    summary: str = ""
    published: float | None = None  # POSIX seconds, when the feed says

    def as_post(self, limit: int = 4096) -> str:
        """Title and link; the summary stands in for a missing title."""
        text = "\n\n".join(part for part in (self.title or self.summary, self.link) if part)
        return text[:limit]


@dataclass(frozen=True, slots=True)
class Parsed:
    """The items with text, newest first, how many items had none, and how many (the
    oldest) were dropped past the cap on items per document."""

    items: list[FeedItem]
    skipped: int = 0
    dropped: int = 0


def parse(body: bytes, content_type: str | None = None, max_items: int | None = None) -> Parsed:
    """RSS, RDF, Atom or JSON Feed, recognised by content; :class:`FeedError` for anything else.

    At most ``max_items`` items are kept (the newest): a 5 MB document can hold 170,000.
    """
    try:
        entries = _json_feed(body) if _looks_like_json(body) else _xml_feed(body, content_type)
    except FeedError:
        raise
    except RecursionError:
        raise FeedError("nested too deeply to read") from None
    except Exception as exc:  # a parser's bug on hostile input fails this feed, not the run
        raise FeedError(f"unreadable ({type(exc).__name__})") from None
    items = newest_first([item for item in entries if item is not None])
    kept = items if max_items is None else items[:max_items]
    return Parsed(kept, len(entries) - len(items), len(items) - len(kept))


def newest_first(items: list[FeedItem]) -> list[FeedItem]:
    """By date when every item has one, else in document order (feeds list newest first)."""
    if any(item.published is None for item in items):
        return items
    return sorted(items, key=lambda item: -(item.published or 0.0))


def _looks_like_json(body: bytes) -> bool:
    return body.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"{", b"[")


def _xml_feed(body: bytes, content_type: str | None) -> list[FeedItem | None]:
    if not body.strip():
        raise FeedError("empty document")
    prolog = body[: m.start()] if (m := _PROLOG_END.search(body)) else body
    if _ENTITY.search(prolog):
        raise FeedError("malformed XML (declares entities)")
    import feedparser  # only where a document is parsed: the child process, the tests

    # What feedparser reports about a readable document (a missing or contradicted type).
    harmless = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
    # No content-location: feedparser would resolve relative guids against the URL, and an
    # item's id must not change with the source (primary or backup) that served it.
    headers = {"content-type": content_type} if content_type else {}
    result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    entries = [_xml_item(entry) for entry in result.get("entries") or []]
    problem = result.get("bozo_exception") if result.get("bozo") else None
    if problem is not None and not isinstance(problem, harmless) and not any(entries):
        raise FeedError(f"malformed XML ({problem})")  # a broken feed that still has items is read
    if not result.get("version") and not any(entries):
        raise FeedError("not RSS, RDF or Atom")
    return entries


def _xml_item(entry: Any) -> FeedItem | None:
    title = _plain(entry.get("title"), _is_html(entry.get("title_detail")))
    summary = _plain(entry.get("summary"), True)
    link = _http_link(entry.get("link"))
    # dict.get: feedparser's own get maps a missing key to the other date, with a warning
    when = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    return _item(_clean(entry.get("id")), title, link, summary, _timestamp(when))


def _is_html(detail: Any) -> bool:
    kind = detail.get("type", "") if isinstance(detail, dict) else ""
    return "html" in str(kind)


def _timestamp(parsed: Any) -> float | None:
    try:
        return float(calendar.timegm(parsed)) if parsed else None
    except (TypeError, ValueError, OverflowError):
        return None


def _json_feed(body: bytes) -> list[FeedItem | None]:
    try:
        document: Any = json.loads(body)
    except ValueError as exc:
        raise FeedError(f"malformed JSON ({exc})") from None
    version = document.get("version", "") if isinstance(document, dict) else ""
    items = document.get("items") if isinstance(document, dict) else None
    if not _text(version).startswith("https://jsonfeed.org/version/") or not isinstance(
        items, list
    ):
        raise FeedError("JSON that is not a JSON Feed (no version/items)")
    return [_json_item(item) if isinstance(item, dict) else None for item in items]


def _json_item(item: dict[str, Any]) -> FeedItem | None:
    summary = _plain(_text(item.get("content_text")) or _text(item.get("summary")), False)
    summary = summary or _plain(_text(item.get("content_html")), True)
    link = _http_link(_text(item.get("url")) or _text(item.get("external_url")))
    when = _iso_timestamp(_text(item.get("date_published")) or _text(item.get("date_modified")))
    return _item(
        _clean(_text(item.get("id"))), _plain(_text(item.get("title")), False), link, summary, when
    )


def _iso_timestamp(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text) if text.isascii() and text else None
    except ValueError:
        return None
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _item(
    identity: str, title: str, link: str, summary: str, published: float | None
) -> FeedItem | None:
    if not (title or link or summary):
        return None
    key = identity or link or title
    if not key:
        key = "sha256:" + hashlib.sha256(summary.encode()).hexdigest()
    return FeedItem(key[:ITEM_ID_MAX], title, link, summary, published)


def _text(value: Any) -> str:
    """A JSON string or number as text; anything else (objects, lists, null) is no text."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""


def _plain(value: Any, markup: bool) -> str:
    """One line of plain text: tags dropped from HTML, whitespace collapsed, bounded."""
    text = _clean(value)
    if markup:
        text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()[:TEXT_MAX]


def _http_link(value: Any) -> str:
    link = _clean(value).strip()
    return link[:2000] if link.startswith(("http://", "https://")) and " " not in link else ""


def _clean(value: Any) -> str:
    """Text a database and Telegram accept: no NUL, no lone surrogates."""
    if not isinstance(value, str):
        return ""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def worker() -> None:
    """Child-process mode (see ``feeds.parse_apart``): the body on stdin, JSON on stdout;
    the arguments are the Content-Type and, optionally, the cap on items."""
    import sys

    content_type = sys.argv[1] if len(sys.argv) > 1 else None
    max_items = int(sys.argv[2]) if len(sys.argv) > 2 else None
    try:
        parsed = parse(sys.stdin.buffer.read(), content_type, max_items)
    except FeedError as exc:
        result: dict[str, Any] = {"error": str(exc)}
    else:
        items = [[i.id, i.title, i.link, i.summary, i.published] for i in parsed.items]
        result = {"items": items, "skipped": parsed.skipped, "dropped": parsed.dropped}
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    worker()
