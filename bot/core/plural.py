"""Counted nouns in English ("1 day", "3 days"), until the bot's texts are translated."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """``plural(1, "day")`` -> ``"1 day"``; ``plural(2, "mismatch", "mismatches")`` ->
    ``"2 mismatches"`` (``many`` defaults to ``one`` + "s")."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
