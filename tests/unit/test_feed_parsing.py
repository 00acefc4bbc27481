"""RSS 2.0, RDF, Atom and JSON Feed parsing, items without text, refusal of what is no feed."""

from __future__ import annotations

import json

import pytest

from bot.modules.content.feeds import FeedError, parse
from tests.helpers.feeds import ATOM, JSON_FEED, PREFIXED_ATOM, RDF, RSS

LATIN1 = (
    b'<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>Caf\xe9</title><link>http://l/1</link></item></channel></rss>"
)
WITHOUT_TEXT = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid isPermaLink="false">only-an-id</guid></item>
<item><guid>not-a-url</guid></item>
<item><title>Kept</title><guid>k1</guid></item>
<item><description>&lt;p&gt;Just a summary&lt;/p&gt;</description></item>
</channel></rss>"""


def test_rss_items_use_guid_then_link() -> None:
    """RSS items are identified by guid, else by link."""
    items = parse(RSS).items
    assert [(i.id, i.title, i.link) for i in items] == [
        ("g1", "One", "http://x/1"),
        ("http://x/2", "Two", "http://x/2"),
    ]
    assert items[0].as_post() == "One\n\nhttp://x/1"


def test_atom_and_json_feed() -> None:
    """Atom entries and JSON Feed items are read with their id, title and link."""
    assert [(i.id, i.link) for i in parse(ATOM).items] == [("urn:a1", "http://a/1")]
    assert [(i.id, i.title) for i in parse(JSON_FEED).items] == [("j1", "J")]


def test_rss_1_0_rdf_with_namespaces_newest_first() -> None:
    """RSS 1.0 (RDF) items are read with their rdf:about id and dc:date, newest first."""
    items = parse(RDF).items
    assert [(i.id, i.title) for i in items] == [
        ("http://r/2", "Newer & better"),
        ("http://r/1", "Older"),
    ]


def test_prefixed_atom_with_extensions() -> None:
    """Atom under a namespace prefix with media extensions: the alternate link, HTML stripped."""
    (item,) = parse(PREFIXED_ATOM).items
    assert (item.id, item.title, item.link) == ("tag:x,2026:1", "Bold news", "http://a/page")


def test_declared_encoding_is_honoured() -> None:
    """A feed declared ISO-8859-1 is decoded as such."""
    assert parse(LATIN1).items[0].title == "Café"


def test_items_without_text_are_skipped_and_counted() -> None:
    """An item with only an id (or a guid that is no URL) is skipped and counted; a summary
    alone is text."""
    parsed = parse(WITHOUT_TEXT)
    assert parsed.skipped == 2
    assert [i.as_post() for i in parsed.items] == ["Kept", "Just a summary"]


def test_json_feed_items_without_text_or_not_objects_are_skipped() -> None:
    """JSON Feed items that are not objects or have no title, url or text are skipped."""
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": "only-id"},
                42,
                {"id": 7, "content_text": "hello", "date_published": "2026-11-20"},
                {"id": "t", "title": {"nested": "object"}, "url": ["list"]},
            ],
        }
    ).encode()
    parsed = parse(body)
    assert parsed.skipped == 3
    assert [(i.id, i.as_post()) for i in parsed.items] == [("7", "hello")]


def test_text_is_cleaned_for_the_database() -> None:
    """NUL characters and lone surrogates never reach a post's text."""
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "items": [{"id": "x\u0000y", "title": "a\u0000b\ud800c", "url": "http://j/1"}],
        }
    ).encode()
    (item,) = parse(body).items
    assert (item.id, item.title) == ("xy", "ab?c")


def test_deeply_nested_json_is_a_feed_error() -> None:
    """JSON nested beyond the recursion limit is a FeedError, not a RecursionError."""
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000
    with pytest.raises(FeedError, match="nested too deeply"):
        parse(body + b"]" * 100_000 + b"}")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<rss><channel><item>", "malformed XML"),
        (b"<html><body>hi</body></html>", "not RSS, RDF or Atom"),
        (b"{not json", "malformed JSON"),
        (b'{"items": []}', "not a JSON Feed"),
        (b"", "empty document"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss>&a;</rss>',
            "declares entities",
        ),
    ],
)
def test_malformed_and_unsafe_documents_are_refused(body: bytes, reason: str) -> None:
    """Broken XML/JSON, other documents and entity declarations raise FeedError."""
    with pytest.raises(FeedError, match=reason):
        parse(body)
