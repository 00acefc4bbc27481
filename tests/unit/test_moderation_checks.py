"""The automatic checks on suggestions: verdicts, normalisation, and the settings behind them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.modules.moderation.checks import (
    Draft,
    History,
    check_content,
    check_history,
    content_hash,
    normalise,
)
from bot.modules.moderation.settings import ModerationRules

RULES = ModerationRules(blocked_words=["casino", "free money"], blocked_patterns=[r"\bbuy\s+now\b"])
# Characters a user can write a Latin letter with: upper case, full width, Cyrillic lookalikes.
_VARIANTS = {
    "a": "aAａＡа",
    "c": "cCｃＣс",
    "e": "eEｅＥе",
    "o": "oOｏＯо",
    "p": "pPｐＰр",
    "x": "xXｘＸх",
}


def _text(body: str) -> Draft:
    return Draft("text", body)


@given(st.text(max_size=5000))
@settings(max_examples=300, deadline=None)
def test_any_text_gets_a_verdict(body: str) -> None:
    """Whatever the text (surrogates, controls, 5,000 chars), the checks answer, never raise."""
    verdict = check_content(_text(body), RULES)
    assert verdict.ok or verdict.reason
    assert len(content_hash(_text(body))) == 64


@st.composite
def _spelled_two_ways(draw: st.DrawFn) -> tuple[str, str]:
    """One text over a few letters, and the same text with letters written as lookalikes."""
    words = ["casino", "free money", "buy now", "cape", "pox", "ace", " ", "hello", ".", "!"]
    plain = "".join(draw(st.lists(st.sampled_from(words), max_size=12)))
    disguised = "".join(
        draw(st.sampled_from(_VARIANTS[ch])) if ch in _VARIANTS else ch for ch in plain
    )
    return plain, disguised


@given(_spelled_two_ways())
@settings(max_examples=300, deadline=None)
def test_normalised_equivalents_get_the_same_verdict(pair: tuple[str, str]) -> None:
    """Upper case, full-width forms and Cyrillic lookalikes do not change the verdict."""
    plain, disguised = pair
    assert normalise(plain) == normalise(disguised)
    assert check_content(_text(plain), RULES) == check_content(_text(disguised), RULES)
    assert content_hash(_text(plain)) == content_hash(_text(disguised))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Visit our САЅINO", "it contains a blocked word (casino)"),
        ("ｆｒｅｅ  ｍｏｎｅｙ here", "it contains a blocked word (free money)"),
        ("Buy   NOW!", "it matches a blocked pattern"),
        ("see https://x.example", "links are not allowed"),
        ("join t.me/somechannel", "links are not allowed"),
        ("", "the post needs some text"),
        ("x" * 4097, "the text has 4097 characters; at most 4096"),
    ],
)
def test_clear_violations(body: str, reason: str) -> None:
    """Each rule refuses with its own reason."""
    assert check_content(_text(body), RULES).reason == reason


def test_words_match_whole_words_only() -> None:
    """'casinos' or 'occasion' are not the blocked word 'casino'; 'casino!' is."""
    assert check_content(_text("occasional casinos"), RULES).ok
    assert not check_content(_text("casino!"), RULES).ok


def test_media_rules() -> None:
    """Captions have their own limit, a type not in MEDIA_TYPES is refused, media hash by id."""
    assert check_content(Draft("photo", "x" * 1025, "u1"), RULES).reason.endswith("at most 1024")
    assert (
        check_content(Draft("document", "hi", "u2"), RULES).reason
        == "document posts are not accepted"
    )
    assert check_content(Draft("photo", "", "u1"), RULES).reason == "the post needs a caption"
    assert content_hash(Draft("photo", "a", "u1")) == content_hash(Draft("photo", "b", "u1"))


def test_history_rules() -> None:
    """Duplicates, the pending quota and the daily quota, in that order."""
    rules = ModerationRules(max_pending_per_author=2, max_per_day=3)
    assert check_history(History(0, 0, False), rules).ok
    assert "before" in check_history(History(0, 0, True), rules).reason
    assert "waiting" in check_history(History(2, 2, False), rules).reason
    assert "a day" in check_history(History(1, 3, False), rules).reason


def test_links_may_be_allowed() -> None:
    """MODERATION__ALLOW_LINKS=true lets links through."""
    assert check_content(_text("https://example.com"), ModerationRules(allow_links=True)).ok


@pytest.mark.parametrize(
    "values",
    [
        {"blocked_patterns": ["(unclosed"]},
        {"reject_reasons": []},
        {"media_types": ["gif"]},
        {"max_text_length": 5000},
        {"reject_reasons": ["x" * 41]},
    ],
)
def test_bad_settings_are_refused(values: dict[str, object]) -> None:
    """`check` fails on a bad regex, no reasons, an unknown media type, limits above Telegram's."""
    with pytest.raises(ValidationError):
        ModerationRules.model_validate(values)
