"""shown_name: a name someone chose, shown in a plain-text message with nothing clickable."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.people import shown_name

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JOINER = "\u2060"
# Names made of what links, mentions and commands are made of, and the odd control character.
LINKISH = st.text(alphabet="abcdefgm./@:#$_- \n\t\u202e\u2066\u200d0123456789", max_size=40)
# Telegram starts a link, mention, command or hashtag where one of these marks is followed by
# a character it reads as part of one (letters, digits, _, -, and U+200D).
STARTS_LINK = re.compile("[./@:#$][\\w\\-\u200d]")


@FAST
@given(st.text() | LINKISH)
def test_every_mark_is_followed_by_a_word_joiner(name: str) -> None:
    """No ``. / @ : # $`` is followed by anything a link could go on with."""
    assert not STARTS_LINK.search(shown_name(name))


@FAST
@given(st.text() | LINKISH)
def test_it_reads_the_same(name: str) -> None:
    """Without the joiners it is the name, control characters as spaces, overrides gone."""
    expected = "".join(
        " " if unicodedata.category(c) == "Cc" else c for c in name if c not in "\u202e\u2066"
    )
    shown = shown_name(name)
    assert shown.replace(JOINER, "") == expected.replace(JOINER, "")
    assert not any(unicodedata.category(c) == "Cc" for c in shown)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("evil.com/login", "evil.\u2060com/\u2060login"),
        ("@someone", "@\u2060someone"),
        ("tg://resolve", "tg:\u2060/\u2060/\u2060resolve"),
        ("Ann\nApproved by admin", "Ann Approved by admin"),
        ("\u202enimda", "nimda"),
        ("Олена Петренко", "Олена Петренко"),
    ],
)
def test_examples(name: str, shown: str) -> None:
    """Links, mentions and tg:// break; a line break is a space; an override goes; a plain
    name is unchanged."""
    assert shown_name(name) == shown
