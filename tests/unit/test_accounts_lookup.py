"""The People page's search text (``bot/modules/accounts/lookup.py``): a user id or a
@username, never anything else, and never an exception."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.kernel import USER_ID_MAX
from bot.modules.accounts.lookup import Query, parse_query

USERNAME = st.from_regex(r"[A-Za-z0-9_]{1,32}", fullmatch=True).filter(lambda s: not s.isdigit())


@given(st.text())
def test_any_text_is_a_query_or_none_and_never_raises(text: str) -> None:
    """Whatever is typed: an id in range, a lower-case ASCII username, or None."""
    found = parse_query(text)
    if found is None:
        return
    if found.user_id is not None:
        assert found.username is None and 1 <= found.user_id <= USER_ID_MAX
    else:
        assert found.username is not None and found.username.isascii()
        assert found.username == found.username.lower()
        assert 1 <= len(found.username) <= 32


@given(st.integers(1, USER_ID_MAX), st.sampled_from(["", " ", "\n"]))
def test_digits_are_a_user_id(user_id: int, space: str) -> None:
    """A user id (surrounding blanks ignored) is looked up as that id."""
    assert parse_query(f"{space}{user_id}{space}") == Query(user_id=user_id)


@given(st.one_of(st.integers(USER_ID_MAX + 1), st.just(0)))
def test_digits_out_of_range_are_refused(number: int) -> None:
    """Digits that are no user id are not a username either."""
    assert parse_query(str(number)) is None


@given(USERNAME, st.booleans())
def test_a_username_with_or_without_at_is_found_in_any_case(name: str, at: bool) -> None:
    """``@Name`` and ``name`` are the same search, case ignored."""
    assert parse_query(("@" if at else "") + name) == Query(username=name.lower())


FOREIGN = st.characters().filter(lambda c: not (c.isascii() and (c.isalnum() or c == "_")))


@given(USERNAME, FOREIGN, USERNAME)
def test_other_characters_are_refused(head: str, foreign: str, tail: str) -> None:
    """A space inside, ``%``, ``@`` twice, a non-ASCII letter or digit: no search."""
    assert parse_query(head + foreign + tail) is None
    assert parse_query("@" + head + foreign + tail) is None
