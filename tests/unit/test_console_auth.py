"""Telegram's initData check (bot/core/web/auth.py): signatures made as Telegram makes them
verify, anything else is refused, and no input makes it raise."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from bot.core.web import auth
from tests.helpers.console import sign_init_data

TOKEN = "123456:TEST-token"
NOW = 1_800_000_000
HOUR = 3600

users = st.fixed_dictionaries(
    {"id": st.integers(1, 2**52 - 1), "first_name": st.text(max_size=30)},
    optional={"username": st.from_regex(r"[a-z][a-z0-9_]{4,20}", fullmatch=True),
              "language_code": st.sampled_from(["en", "uk", "de"])},
)  # fmt: skip
extra_fields = st.dictionaries(
    st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(
        lambda k: k not in {"hash", "user", "auth_date"}
    ),
    st.text(max_size=40),
    max_size=4,
)


def check(raw: str, *, token: str = TOKEN, now: float = NOW) -> auth.Signed | None:
    return auth.validate(raw, token, now=now, max_age=HOUR)


@given(users, st.integers(NOW - HOUR, NOW + 60), extra_fields)
def test_what_telegram_signs_verifies(
    user: dict[str, Any], auth_date: int, fields: dict[str, str]
) -> None:
    """initData signed with the bot's token, within CONSOLE_AUTH_MAX_AGE (and a minute's skew
    ahead), gives its user's id and every field back."""
    raw = sign_init_data(TOKEN, user, auth_date, **fields)
    signed = check(raw)
    assert signed is not None and signed.user_id == user["id"] and signed.auth_date == auth_date
    assert all(signed.fields[key] == value for key, value in fields.items())


@given(users, st.integers(NOW - HOUR, NOW), extra_fields, st.data())
def test_any_changed_field_breaks_the_signature(
    user: dict[str, Any], auth_date: int, fields: dict[str, str], data: st.DataObject
) -> None:
    """Changing, adding or dropping any field (the user id, the date, another field) is refused."""
    pairs = dict(
        parse_qsl(sign_init_data(TOKEN, user, auth_date, **fields), keep_blank_values=True)
    )
    key = data.draw(st.sampled_from(sorted(k for k in pairs if k != "hash")))
    change = data.draw(st.sampled_from(["change", "drop", "add"]))
    if change == "change":
        pairs[key] = pairs[key] + "x"
    elif change == "drop":
        del pairs[key]
    else:
        pairs["zz_added"] = "1"
    assert check(urlencode(pairs)) is None


@given(users)
def test_another_bots_token_and_old_or_future_dates_are_refused(user: dict[str, Any]) -> None:
    """Signed by another bot, older than the maximum age, or more than a minute ahead: None."""
    assert check(sign_init_data("654321:OTHER-token", user, NOW)) is None
    assert check(sign_init_data(TOKEN, user, NOW - HOUR - 1)) is None
    assert check(sign_init_data(TOKEN, user, NOW + 61)) is None


@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(raw: str) -> None:
    """Whatever text arrives in the header: refused, without an exception."""
    assert check(raw) is None


@given(
    st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=6), st.text(max_size=64)
)
def test_arbitrary_fields_with_any_hash_never_raise(fields: dict[str, str], hash_: str) -> None:
    """Query strings of any fields and any hash: refused, never an exception."""
    assert check(urlencode({**fields, "hash": hash_})) is None


@given(st.one_of(st.integers(), st.text(), st.none(), st.lists(st.integers()), st.booleans()))
def test_a_signed_but_strange_user_is_refused(user_id: Any) -> None:
    """A correctly signed initData whose user id is not a positive int below 2^52 (a string, a
    bool, a list, a huge or negative number, none) names no user: refused."""
    if type(user_id) is int and 0 < user_id < 2**52:
        return
    raw = sign_init_data(TOKEN, {"id": user_id}, NOW)
    assert check(raw) is None


def test_user_that_is_not_json_and_duplicate_fields_are_refused() -> None:
    """A user field that is not JSON, nested JSON deep enough to overflow the parser, and a
    field given twice (however the signature reads) are refused."""
    assert check(sign_init_data(TOKEN, 1, NOW).replace("user=", "user=%7B", 1)) is None
    assert check(sign_init_data(TOKEN, "[" * 10_000, NOW)) is None
    doubled = sign_init_data(TOKEN, 1, NOW) + "&auth_date=" + str(NOW)
    assert check(doubled) is None


def test_the_documented_example_shape() -> None:
    """The data-check string is the sorted ``key=value`` lines without ``hash``."""
    fields = {"user": json.dumps({"id": 1}), "auth_date": "5", "hash": "h", "query_id": "q"}
    assert auth.data_check_string(fields) == 'auth_date=5\nquery_id=q\nuser={"id": 1}'
