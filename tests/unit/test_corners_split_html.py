"""Splitting a long HTML text (parse_mode HTML) never cuts an entity or a tag: a tag open
across a cut is closed at the end of its part and reopened at the start of the next, each
part is within the limit and well-formed for Telegram's HTML parse mode, and the parts'
visible text, put together, is the original's."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.delivery.split import split_caption, split_text, utf16_len

TAG = re.compile(r"<[^<>]*>")


class _Checker(HTMLParser):
    """Records what Telegram's HTML parser would refuse: an end tag that is not the
    innermost open one, a tag left open, a bare ``&`` or ``<`` in the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"</{tag}> closes nothing open")

    def handle_data(self, data: str) -> None:
        if "<" in data or "&" in data or ">" in data:
            self.errors.append(f"bare markup character in {data!r}")


def well_formed(part: str) -> bool:
    checker = _Checker()
    checker.feed(part)
    checker.close()
    leftover = checker.rawdata  # an unfinished "<..." or "&..." stays unparsed
    return not checker.errors and not checker.stack and not leftover


def visible(text: str) -> str:
    return html.unescape(TAG.sub("", text))


_CHARS = st.sampled_from(
    ["a", "b", "z", "0", " ", " ", "\n", "é", "😀", "&amp;", "&lt;", "&gt;", "&quot;", "&#8364;"]
)
_WORDS = st.lists(_CHARS, min_size=1, max_size=40).map("".join)
_OPEN = st.sampled_from(
    [
        ("b", "<b>"),
        ("i", "<i>"),
        ("u", "<u>"),
        ("s", "<s>"),
        ("code", "<code>"),
        ("tg-spoiler", "<tg-spoiler>"),
        ("span", '<span class="tg-spoiler">'),
        ("a", '<a href="https://example.org/a?b=1&amp;c=2">'),
        ("blockquote", "<blockquote>"),
    ]
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(_OPEN, st.lists(children, max_size=5)).map(
        lambda pair: pair[0][1] + "".join(pair[1]) + f"</{pair[0][0]}>"
    )


# Up to three tags deep: a part must hold the tags it reopens, their closers and a character.
_HTML = _WORDS
for _depth in range(3):
    _HTML = st.one_of(_WORDS, _element(_HTML))
_TEXTS = st.lists(_HTML, min_size=1, max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=_TEXTS, limit=st.integers(min_value=200, max_value=600))
def test_html_parts_fit_are_well_formed_and_keep_the_visible_text(text: str, limit: int) -> None:
    """Every part is at most ``limit`` UTF-16 units of markup, well-formed on its own, and
    the parts' visible texts joined are the original's visible text."""
    assert well_formed(text)
    parts = split_text(text, limit, html=True)
    assert all(utf16_len(part) <= limit for part in parts)
    assert all(well_formed(part) for part in parts), parts
    assert "".join(visible(part) for part in parts) == visible(text)


@settings(max_examples=60, deadline=None)
@given(text=_TEXTS)
def test_an_html_caption_is_cut_the_same_way(text: str) -> None:
    """A caption's first part fits under a photo and the rest follow as texts, each one
    well-formed, nothing of the visible text lost."""
    parts = split_caption(text, 200, 400, html=True)
    assert utf16_len(parts[0]) <= 200 and all(utf16_len(p) <= 400 for p in parts[1:])
    assert all(well_formed(part) for part in parts)
    assert "".join(visible(part) for part in parts) == visible(text)


def test_an_entity_is_never_cut_and_a_bold_run_is_closed_and_reopened() -> None:
    """A cut that would fall inside ``&amp;`` or inside a bold run cuts before the entity
    and closes ``<b>`` at the part's end, reopening it in the next part."""
    text = "<b>" + "x" * 95 + "&amp;" + "y" * 50 + "</b>"
    first, second = split_text(text, 104, html=True)
    assert first == "<b>" + "x" * 95 + "</b>"
    assert second == "<b>&amp;" + "y" * 50 + "</b>"


def test_a_cut_prefers_a_line_break_and_keeps_it_at_the_parts_end() -> None:
    """The whitespace a cut falls at ends its part (Telegram trims it), so nothing of the
    visible text is lost."""
    text = "<i>" + "a" * 40 + "\n" + "b" * 40 + " " + "c" * 40 + "</i>"
    first, second = split_text(text, 100, html=True)
    assert first == "<i>" + "a" * 40 + "\n</i>"
    assert second == "<i>" + "b" * 40 + " " + "c" * 40 + "</i>"


def test_a_word_longer_than_a_part_is_cut_where_it_must_be() -> None:
    """A run of text with no space to cut at is cut at the part's limit, its tags closed
    and reopened around the cut, nothing lost."""
    text = "<b>" + "x" * 500 + "😀" * 30 + "</b>"
    parts = split_text(text, 100, html=True)
    assert all(utf16_len(part) <= 100 and well_formed(part) for part in parts)
    assert [utf16_len(part) for part in parts[:-1]] == [100] * (len(parts) - 1)
    assert "".join(visible(part) for part in parts) == visible(text)


def test_plain_text_is_split_as_before() -> None:
    """Without ``html`` an ampersand is just a character (no parse mode, nothing to keep
    whole)."""
    assert split_text("a &amp; b", 5) == ["a", "&amp;", "b"]
