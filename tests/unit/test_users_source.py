"""Start payloads: which ones name the source a new user came through."""

from __future__ import annotations

import pytest

from bot.core.people.users import parse_source


@pytest.mark.parametrize(
    ("payload", "referrer_id", "expected"),
    [
        ("src_x", None, "src_x"),
        ("Spring-2026_ad", None, "Spring-2026_ad"),
        ("a" * 64, None, "a" * 64),
        ("a" * 65, None, None),
        ("ref_42", 42, "ref"),
        ("ref_42", None, None),
        ("ref_abc", None, None),
        ("", None, None),
        (None, None, None),
        ("with space", None, None),
        ("café", None, None),
        ("a.b", None, None),
        ("１２３", None, None),
        ("src\n", None, None),
    ],
)
def test_parse_source(payload: str | None, referrer_id: int | None, expected: str | None) -> None:
    """Only a start parameter of 1 to 64 ASCII letters, digits, ``_`` and ``-`` that is not
    an invite is a source; a valid invite is the source ``ref``."""
    assert parse_source(payload, referrer_id) == expected
