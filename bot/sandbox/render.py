"""The bot's message texts as the chat page shows them: Telegram's HTML, made safe.

A text sent with ``parse_mode=HTML`` keeps the tags Telegram formats (bold, italic,
underline, strikethrough, spoilers, links, code, quotes) with no attribute but a link's
``href`` (http, https, tg and mailto only) and a spoiler span's class; any other tag, and
every text, comes out escaped. A text without a parse mode (or in Markdown, which the bot
does not use) is escaped whole. Bare web addresses become links, as Telegram's apps show
them. Line breaks stay characters: the page shows them with ``white-space: pre-wrap``.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Telegram's formatting tags, each shown as the tag the page styles.
TAGS = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "a": "a",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "span",
    "span": "span",
}
SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_URL = re.compile(r"\bhttps?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""


def render(text: str | None, parse_mode: str | None) -> str:
    """``text`` as safe HTML for the page (``parse_mode`` as the bot sent it)."""
    if not text:
        return ""
    if str(parse_mode or "").upper() != "HTML":
        return _linked(text)
    parser = _Telegram()
    parser.feed(text)
    parser.close()
    return parser.result()


def _linked(text: str) -> str:
    """Escaped ``text`` whose web addresses are links."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(url)
        out.append(html.escape(text[last:start]))
        out.append(_anchor(url) + html.escape(url) + "</a>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def _anchor(href: str) -> str:
    return f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer">'


def _safe_href(href: str | None) -> str | None:
    href = (href or "").strip()
    if any(ch in href for ch in "\x00\t\n\r") or not href.lower().startswith(SAFE_SCHEMES):
        return None
    return href


class _Telegram(HTMLParser):
    """Keeps the allowed tags (well nested, closed at the end), escapes everything else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []  # the source tags open, innermost last

    def result(self) -> str:
        self.out.extend(f"</{TAGS[tag]}>" for tag in reversed(self.open))
        self.open = []
        return "".join(self.out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        shown = TAGS.get(tag)
        values = dict(attrs)
        if shown is None or (tag == "span" and values.get("class") != "tg-spoiler"):
            self.out.append(html.escape(self.get_starttag_text() or ""))
            return
        if tag == "a":
            href = _safe_href(values.get("href"))
            self.out.append(_anchor(href) if href else "<a>")
        elif shown == "span":
            self.out.append('<span class="tg-spoiler">')
        else:
            self.out.append(f"<{shown}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(html.escape(self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.open:
            self.out.append(html.escape(f"</{tag}>"))
            return
        while self.open:
            closed = self.open.pop()
            self.out.append(f"</{TAGS[closed]}>")
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data) if "a" in self.open else _linked(data))

    def handle_comment(self, data: str) -> None:
        self.out.append(html.escape(f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.out.append(html.escape(f"<!{decl}>"))

    def handle_pi(self, data: str) -> None:
        self.out.append(html.escape(f"<?{data}>"))

    def unknown_decl(self, data: str) -> None:
        self.out.append(html.escape(f"<![{data}]>"))
