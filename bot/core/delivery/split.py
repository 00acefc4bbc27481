"""Splitting texts longer than Telegram accepts into consecutive messages.

Telegram counts UTF-16 code units; Python strings count code points, so a part
is measured in UTF-16 units and cut only between code points (never inside a
surrogate pair). Cuts prefer a line break, then a space, and only as a last
resort fall in the middle of a word.

A text sent with ``parse_mode=HTML`` is cut with ``html=True``: never inside a tag or an
entity (``&amp;``), and a tag open across a cut (``<b>`` ... ``</b>``) is closed at the
end of its part and opened again at the start of the next, so that each part parses on
its own and the parts' visible text together is the original's. A part is measured with
its markup (Telegram counts the parsed text, so this errs on the safe side), and the
whitespace a cut falls at ends the part instead of being dropped.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_TEXT = 4096
MAX_CAPTION = 1024


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (characters outside the BMP count twice)."""
    if text.isascii():  # most texts, and most atoms of an HTML text: no encoding needed
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The largest number of code points from the start of ``text`` within ``limit`` units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT, *, html: bool = False) -> list[str]:
    """``text`` as parts of at most ``limit`` UTF-16 units, cut at lines, then words
    (``html``: Telegram HTML, cut between tags and entities, tags closed and reopened)."""
    if html:
        return split_html(text, limit)
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


def split_caption(
    caption: str, limit: int = MAX_CAPTION, follow_up: int = MAX_TEXT, *, html: bool = False
) -> list[str]:
    """The caption that fits under a photo, then the rest as text messages."""
    if utf16_len(caption) <= limit:
        return [caption]
    if html:
        return split_html(caption, follow_up, first=limit)
    first, *_ = split_text(caption, limit)
    rest = caption[len(first) :].lstrip("\n ")
    return [first, *split_text(rest, follow_up)] if rest else [first]


# A tag, an entity (named or numeric), a run of text without a space, or one character: the
# atoms an HTML text is cut between (a run too long for a part is cut where it must be).
_ATOM = re.compile(r"<[^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);|[^<&\n ]+|.", re.DOTALL)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)")
_SPACE = {"\n": 2, " ": 1}  # where a cut is preferred: a line break, else a space


class _Atom(NamedTuple):
    raw: str
    units: int
    opens: str | None = None  # the tag name a start tag opens
    closes: str | None = None  # the tag name an end tag closes
    space: int = 0  # 2: a line break, 1: a space, 0: neither


def _atoms(text: str) -> list[_Atom]:
    atoms = []
    for match in _ATOM.finditer(text):
        raw = match.group()
        tag = _TAG_NAME.match(raw) if raw[0] == "<" and len(raw) > 1 else None
        if tag is None:  # a run, an entity, a space or another lone character
            atoms.append(_Atom(raw, utf16_len(raw), space=_SPACE.get(raw, 0)))
        elif tag.group(1):
            atoms.append(_Atom(raw, utf16_len(raw), closes=tag.group(2).lower()))
        else:
            atoms.append(_Atom(raw, utf16_len(raw), opens=tag.group(2).lower()))
    return atoms


def _after(stack: tuple[_Atom, ...], atom: _Atom) -> tuple[_Atom, ...]:
    """The open tags after ``atom``: a start tag pushed, an end tag's own tag popped."""
    if atom.opens is not None:
        return (*stack, atom)
    if atom.closes is not None:
        for index in range(len(stack) - 1, -1, -1):
            if stack[index].opens == atom.closes:
                return stack[:index] + stack[index + 1 :]
    return stack


def _closers(stack: tuple[_Atom, ...]) -> str:
    return "".join(f"</{atom.opens}>" for atom in reversed(stack))


def split_html(text: str, limit: int = MAX_TEXT, *, first: int | None = None) -> list[str]:
    """Telegram HTML as parts of at most ``limit`` UTF-16 units (the first: ``first``), cut
    at a line break, else a space, else between any two atoms; never inside a tag or an
    entity; tags open at a cut are closed there and reopened in the next part."""
    if utf16_len(text) <= (first or limit):
        return [text]
    atoms, parts = _atoms(text), list[str]()
    start, stack = 0, tuple[_Atom, ...]()
    while start < len(atoms):
        end, stack_after = _cut(atoms, start, stack, first if not parts and first else limit)
        body = "".join(atom.raw for atom in atoms[start:end])
        parts.append("".join(a.raw for a in stack) + body + _closers(stack_after))
        start, stack = end, stack_after
    return parts


def _cut(
    atoms: list[_Atom], start: int, stack: tuple[_Atom, ...], limit: int
) -> tuple[int, tuple[_Atom, ...]]:
    """Where the part that begins at ``start`` with ``stack`` open ends (the index after
    its last atom), and the tags open there."""
    used = sum(atom.units for atom in stack)
    closing = utf16_len(_closers(stack))
    best: tuple[int, int, tuple[_Atom, ...]] | None = None  # (space, end, stack)
    index, open_now = start, stack
    while index < len(atoms):
        atom = atoms[index]
        following, after_closing = open_now, closing
        if atom.opens is not None or atom.closes is not None:  # only a tag changes the stack
            following = _after(open_now, atom)
            after_closing = utf16_len(_closers(following))
        if used + atom.units + after_closing > limit:
            break
        used, open_now, closing, index = used + atom.units, following, after_closing, index + 1
        if atom.space and (best is None or atom.space >= best[0]):
            best = (atom.space, index, open_now)
    if index == len(atoms):
        return index, open_now
    if best is not None and best[1] > start:
        return best[1], best[2]
    atom = atoms[index]
    room = limit - used - closing
    if atom.opens is None and atom.closes is None and atom.raw[0] not in "&<" and room > 0:
        head = atom.raw[: _fit(atom.raw, room)]  # a run of text cut where the part is full
        if head:
            tail = atom.raw[len(head) :]
            atoms[index : index + 1] = [_Atom(head, utf16_len(head)), _Atom(tail, utf16_len(tail))]
            return index + 1, open_now
    if index == start:
        raise ValueError("limit too small for the open tags and the next atom")
    return index, open_now
