"""Property tests: whatever bytes a feed URL serves, the parser gives items or a FeedError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.modules.content.feeds import FeedError, Parsed, parse
from tests.helpers.feeds import ATOM, RDF, RSS

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FRAGMENTS = [
    "<?xml version='1.0'?>",
    '<rss version="2.0">',
    "</rss>",
    "<channel>",
    "</channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<link>",
    "</link>",
    "<guid>",
    "</guid>",
    "<description>",
    "</description>",
    "<pubDate>",
    "</pubDate>",
    "&amp;",
    "&bogus;",
    "&#0;",
    "&#xD800;",
    "<![CDATA[",
    "]]>",
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    "</feed>",
    "<entry>",
    "</entry>",
    '<link href="http://h/1"/>',
    "<!DOCTYPE rss>",
    "<!--",
    "-->",
    "http://x/1",
    "Mon, 32 Foo 99999 99:99:99 +9999",
    "2026-11-20T10:00:00Z",
    "\x00",
    "é",
    "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>",
    "<",
    ">",
    " ",
]


def check(body: bytes) -> None:
    """The parser's contract: a Parsed result whose texts the database accepts, or FeedError."""
    try:
        parsed = parse(body)
    except FeedError:
        return
    assert isinstance(parsed, Parsed) and parsed.skipped >= 0
    for item in parsed.items:
        assert item.id and len(item.id) <= 500 and item.as_post()
        for text in (item.id, item.as_post()):
            assert "\x00" not in text
            text.encode("utf-8")  # no lone surrogates


@SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(body: bytes) -> None:
    """Random bytes never raise anything but FeedError."""
    check(body)


@SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=60))
def test_xml_like_soup(parts: list[str]) -> None:
    """Fragments of RSS, Atom and RDF in any order never raise anything but FeedError."""
    check("".join(parts).encode("utf-8", "surrogatepass"))


@SETTINGS
@given(st.sampled_from([RSS, ATOM, RDF]), st.integers(0, 400), st.binary(max_size=20))
def test_truncated_or_corrupted_real_feeds(feed: bytes, cut: int, junk: bytes) -> None:
    """A real feed cut short anywhere, with junk after it, gives items or a FeedError."""
    check(feed[:cut] + junk)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
FIELDS = (
    "id",
    "title",
    "url",
    "external_url",
    "summary",
    "content_text",
    "content_html",
    "date_published",
    "date_modified",
)
JSON_ITEMS = st.lists(
    st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, JSON_VALUES)) | JSON_VALUES,
    max_size=8,
)


@SETTINGS
@given(JSON_ITEMS, st.sampled_from(["https://jsonfeed.org/version/1.1", "1", None]))
def test_json_feed_of_any_shape(items: list[Any], version: str | None) -> None:
    """JSON Feeds whose fields hold any JSON value never raise anything but FeedError."""
    check(json.dumps({"version": version, "items": items}).encode())


@SETTINGS
@given(
    JSON_ITEMS,
    st.lists(st.integers(-(2**31), 2**31), max_size=30),
    st.integers(1, 40),
)
def test_the_cap_keeps_the_newest_and_counts_the_rest(
    odd: list[Any], dates: list[int], cap: int
) -> None:
    """With FEED_MAX_ITEMS = ``cap`` the items are the first ``cap`` of the uncapped reading
    (the newest) and the others are counted as dropped, whatever the document holds."""
    items = [{"id": f"i{n}", "title": "t", "date_published": f"{n}"} for n in dates] + odd
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()
    whole = parse(body)
    capped = parse(body, max_items=cap)
    assert capped.items == whole.items[:cap] and capped.skipped == whole.skipped
    assert capped.dropped == max(0, len(whole.items) - cap) and whole.dropped == 0
