"""Splitting texts longer than Telegram accepts into consecutive messages.

Telegram counts UTF-16 code units; Python strings count code points, so a part
is measured in UTF-16 units and cut only between code points (never inside a
surrogate pair). Cuts prefer a line break, then a space, and only as a last
resort fall in the middle of a word.
"""

from __future__ import annotations

MAX_TEXT = 4096
MAX_CAPTION = 1024


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (characters outside the BMP count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The largest number of code points from the start of ``text`` within ``limit`` units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` as parts of at most ``limit`` UTF-16 units, cut at lines, then words."""
    if limit < 2:
        raise ValueError("limit must allow at least one character")
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        head = rest[: _fit(rest, limit)]
        cut = head.rfind("\n")
        if cut <= 0:
            cut = head.rfind(" ")
        if cut <= 0:
            cut = len(head)
        part, rest = rest[:cut].rstrip(), rest[cut:].lstrip("\n ")
        if part:
            parts.append(part)
    if rest.strip() or not parts:
        parts.append(rest)
    return parts


def split_caption(caption: str, limit: int = MAX_CAPTION, follow_up: int = MAX_TEXT) -> list[str]:
    """The caption that fits under a photo, then the rest as text messages."""
    if utf16_len(caption) <= limit:
        return [caption]
    first, *_ = split_text(caption, limit)
    rest = caption[len(first) :].lstrip("\n ")
    return [first, *split_text(rest, follow_up)] if rest else [first]
