"""Splitting long texts and captions for Telegram's length limits."""

from __future__ import annotations

from bot.core.delivery.split import split_caption, split_text, utf16_len


def test_short_text_is_one_part() -> None:
    """A text within the limit comes back unchanged as a single part."""
    assert split_text("hello") == ["hello"]


def test_cuts_at_line_breaks_first() -> None:
    """Parts end at line breaks when there is one in reach."""
    text = "\n".join(["a" * 30, "b" * 30, "c" * 30])
    assert split_text(text, 70) == ["a" * 30 + "\n" + "b" * 30, "c" * 30]


def test_cuts_at_spaces_when_no_line_break() -> None:
    """Without line breaks, words stay whole."""
    words = " ".join(f"word{i}" for i in range(50))
    parts = split_text(words, 40)
    assert all(len(p) <= 40 for p in parts)
    assert " ".join(parts) == words


def test_text_without_whitespace_is_cut_hard() -> None:
    """A text with no whitespace is cut at the limit, losing nothing."""
    parts = split_text("x" * 10_000)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_multibyte_characters_are_never_split() -> None:
    """Emoji (two UTF-16 units each) are counted as Telegram counts and never halved."""
    text = "😀" * 3000  # 6000 UTF-16 units
    parts = split_text(text)
    assert "".join(parts) == text
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert utf16_len(parts[0]) == 4096


def test_cyrillic_and_mixed_text_round_trips() -> None:
    """Non-Latin text splits within the limit and joins back to the original words."""
    text = " ".join(["привет мир"] * 1000)
    parts = split_text(text)
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert " ".join(parts) == text


def test_long_caption_continues_as_text() -> None:
    """A caption over 1024 keeps its first 1024 under the photo, the rest follows as text."""
    caption = " ".join(["caption"] * 400)
    first, *rest = split_caption(caption)
    assert utf16_len(first) <= 1024 and rest
    assert " ".join([first, *rest]) == caption
