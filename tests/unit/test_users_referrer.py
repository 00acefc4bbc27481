"""Start payloads: which ones name an inviter."""

from __future__ import annotations

import pytest

from bot.core.people.users import parse_referrer


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("ref_42", 42),
        ("ref_7", None),
        ("ref_", None),
        ("ref_abc", None),
        ("ref_-3", None),
        ("promo", None),
        (None, None),
        ("ref_0", None),
        ("ref_9999999999999999", None),
    ],
)
def test_parse_referrer(payload: str | None, expected: int | None) -> None:
    """Only ref_<digits> naming someone else is a referral (user 7 is the new user)."""
    assert parse_referrer(payload, 7) == expected
