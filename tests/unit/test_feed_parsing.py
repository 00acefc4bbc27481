"""RSS 2.0, Atom and JSON Feed parsing, and refusal of what is not a feed."""

from __future__ import annotations

import pytest

from bot.modules.content.feeds import FeedError, parse

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>One</title><link>http://x/1</link><guid>g1</guid></item>
<item><title>Two</title><link>http://x/2</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>urn:a1</id><title>A</title><link rel="alternate" href="http://a/1"/></entry></feed>"""
JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "t",
"items": [{"id": "j1", "title": "J", "url": "http://j/1"}]}"""


def test_rss_items_use_guid_then_link() -> None:
    """RSS items are identified by guid, else by link."""
    items = parse(RSS)
    assert [(i.id, i.title, i.link) for i in items] == [
        ("g1", "One", "http://x/1"),
        ("http://x/2", "Two", "http://x/2"),
    ]
    assert items[0].as_post() == "One\n\nhttp://x/1"


def test_atom_and_json_feed() -> None:
    """Atom entries and JSON Feed items are read with their id, title and link."""
    assert [(i.id, i.link) for i in parse(ATOM)] == [("urn:a1", "http://a/1")]
    assert [(i.id, i.title) for i in parse(JSON_FEED)] == [("j1", "J")]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<rss><channel><item>", "malformed XML"),
        (b"<html><body>hi</body></html>", "not RSS or Atom"),
        (b"{not json", "malformed JSON"),
        (b'{"items": []}', "not a JSON Feed"),
        (b"", "malformed XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss>&a;</rss>',
            "malformed XML",
        ),
    ],
)
def test_malformed_and_unsafe_documents_are_refused(body: bytes, reason: str) -> None:
    """Broken XML/JSON, other documents and entity declarations raise FeedError."""
    with pytest.raises(FeedError, match=reason):
        parse(body)
