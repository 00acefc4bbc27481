"""The chat page's renderer of the bot's texts (bot/sandbox/render.py): Telegram's tags kept,
everything else escaped, whatever the text holds."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.render import render

ALLOWED = {"b", "i", "u", "s", "a", "code", "pre", "blockquote", "span"}
ANCHOR = {"href", "target", "rel"}

TAGS = st.sampled_from(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "blockquote",
        "span",
        "script",
        "img",
        "iframe",
        "svg",
        "style",
        "div",
        "A",
        "SCRIPT",
        "object",
        "math",
        "template",
        "textarea",
        "title",
    ]
)
ATTRS = st.sampled_from(
    [
        "",
        ' href="https://example.org/?a=1&b=2"',
        ' href="javascript:alert(1)"',
        " href=' JaVaScRiPt:alert(1)'",
        ' href="data:text/html,<script>x</script>"',
        ' onerror="alert(1)"',
        " onclick=alert(1)",
        ' class="tg-spoiler"',
        ' class="x"',
        ' style="color:red"',
        ' src="x"',
        " href=tg://user?id=1",
        ' href="java\tscript:1"',
        ' href="mailto:a@b.c" onmouseover="x"',
        " expandable",
    ]
)
PIECES = st.one_of(
    st.text(max_size=12),
    st.builds(lambda t, a: f"<{t}{a}>", TAGS, ATTRS),
    st.builds(lambda t: f"</{t}>", TAGS),
    st.sampled_from(
        [
            "&lt;",
            "&amp;",
            "&#60;",
            "&quot;",
            "<!--",
            "-->",
            "<![CDATA[",
            "<?x",
            "<!doctype>",
            "\n",
            "https://t.me/+sandbox000001",
            "<",
            ">",
            "'",
            '"',
            "<b",
            "</",
        ]
    ),
)
HOSTILE = st.lists(PIECES, max_size=14).map("".join)


class _Seen(HTMLParser):
    """The tags, attributes and text a browser's parser finds in the output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.depth = 0
        self.balanced = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        self.depth -= 1
        self.balanced = self.balanced and self.depth >= 0

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        raise AssertionError(f"a comment got through: {data!r}")

    def handle_decl(self, decl: str) -> None:
        raise AssertionError(f"a declaration got through: {decl!r}")

    def handle_pi(self, data: str) -> None:
        raise AssertionError(f"a processing instruction got through: {data!r}")


def seen(shown: str) -> _Seen:
    parser = _Seen()
    parser.feed(shown)
    parser.close()
    return parser


@given(HOSTILE)
def test_only_telegrams_tags_and_safe_attributes_come_out(text: str) -> None:
    """Whatever the bot's HTML holds, the page gets only the allow-listed tags, balanced,
    with no attribute but a safe link's and a spoiler's class."""
    found = seen(render(text, "HTML"))
    assert found.balanced and found.depth == 0, render(text, "HTML")
    for tag, attrs in found.tags:
        assert tag in ALLOWED, (tag, text)
        if tag == "a":
            assert set(attrs) <= ANCHOR, (attrs, text)
            href = attrs.get("href")
            assert href is None or href.startswith(("http://", "https://", "tg://", "mailto:"))
            assert attrs.get("rel", "noopener noreferrer") == "noopener noreferrer"
        elif tag == "span":
            assert attrs == {"class": "tg-spoiler"}, (attrs, text)
        else:
            assert attrs == {}, (tag, attrs, text)


@given(st.text(), st.sampled_from([None, "", "MarkdownV2", "Markdown"]))
def test_a_text_without_html_shows_as_written(text: str, parse_mode: str | None) -> None:
    """Without parse_mode=HTML every character shows as itself: the page's text is the bot's
    text exactly, with no tag but the links made of web addresses."""
    found = seen(render(text, parse_mode))
    assert "".join(found.text) == text
    assert all(tag == "a" for tag, _ in found.tags)


@given(st.text())
def test_escaped_text_round_trips(text: str) -> None:
    """The bot's HTML with its text escaped (as the bot escapes user input) shows that text."""
    assert "".join(seen(render(html.escape(text), "HTML")).text) == text


def test_telegrams_formatting_is_kept() -> None:
    shown = render(
        "<b>bold</b> <strong>s</strong> <i>i</i> <u>u</u> <s>x</s> <tg-spoiler>secret</tg-spoiler> "
        '<span class="tg-spoiler">too</span> <a href="https://example.org">link</a> '
        "<code>c</code> <pre>p</pre> <blockquote>q</blockquote>",
        "HTML",
    )
    assert "<b>bold</b> <b>s</b> <i>i</i> <u>u</u> <s>x</s>" in shown
    assert shown.count('<span class="tg-spoiler">') == 2
    assert '<a href="https://example.org" target="_blank" rel="noopener noreferrer">link</a>' in (
        shown
    )
    assert "<code>c</code> <pre>p</pre> <blockquote>q</blockquote>" in shown


def test_hostile_markup_is_shown_as_text() -> None:
    text = '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:x">y</a>'
    shown = render(text, "HTML")
    assert "<script" not in shown and "<img" not in shown and "javascript" not in shown.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in shown
    assert "<a>y</a>" in shown


def test_web_addresses_become_links_and_lines_stay() -> None:
    shown = render("Join: https://t.me/+sandbox000001.\nThanks <3", None)
    assert shown == (
        'Join: <a href="https://t.me/+sandbox000001" target="_blank" '
        'rel="noopener noreferrer">https://t.me/+sandbox000001</a>.\nThanks &lt;3'
    )
