"""One rule masks every secret: long ones wherever they appear, short ones where they stand as
a value, the bot token keeping its public id, and any URL's password."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import BaseModel, SecretStr

from bot.core.kernel import MASK, BotToken, Settings
from bot.core.kernel.redaction import LONG, Redactor

TEXT = st.text(max_size=40)
NO_STAR = st.characters(blacklist_characters="*", codec="utf-8")
SHORT = st.text(NO_STAR, min_size=1, max_size=LONG - 1)
LONG_SECRET = st.text(st.characters(codec="utf-8"), min_size=LONG, max_size=30)
# Where a short secret stands as a whole value (each with its delimiters).
VALUE_PLACES = (
    "password={}",
    'password="{}"',
    "DB_PASSWORD: {}",
    '"token": "{}"',
    "secret='{}'",
    "'{}'",
    '"{}"',
    "`{}`",
    "postgresql://user:{}@db.example/companion",
    "redis://:{}@127.0.0.1:6379/0",
)


def redactor(*secrets: str) -> Redactor:
    redact = Redactor()
    redact.set(secrets)
    return redact


@given(secret=LONG_SECRET, before=TEXT, after=TEXT)
def test_a_long_secret_is_masked_wherever_it_appears(secret: str, before: str, after: str) -> None:
    """A secret of six characters or more, whatever its characters (':' included), is gone
    from any text around it: as written, in a JSON line and URL-encoded."""
    redact = redactor(secret)
    assert secret not in redact(before + secret + after)
    escaped = json.dumps(secret)[1:-1]
    assert escaped not in redact(json.dumps(before + secret + after))
    encoded = quote(secret, safe="")
    assert encoded not in redact(quote(before + secret + after, safe=""))


@given(
    secret=st.text(st.characters(max_codepoint=127), min_size=LONG, max_size=30),
    case=st.sampled_from([str.lower, str.upper, str.capitalize, str.swapcase]),
    before=TEXT,
    after=TEXT,
)
def test_a_long_secret_is_masked_in_any_letter_case(
    secret: str, case: Any, before: str, after: str
) -> None:
    """python-telegram-bot capitalize()s an error's text (lowercasing the rest): the secret
    is masked whatever the case of its letters."""
    changed = case(secret)
    assert changed not in redactor(secret)(before + changed + after)


@given(secret=SHORT, place=st.sampled_from(VALUE_PLACES), before=TEXT, after=TEXT)
def test_a_short_secret_is_masked_where_it_stands_as_a_value(
    secret: str, place: str, before: str, after: str
) -> None:
    """A secret of 1 to 5 characters, any characters but the mask's, is masked after a key
    naming a secret, between quotes and as a URL's password, whatever text surrounds it."""
    value = place.format(secret)
    text = f"{before} {value} {after}"
    assume(text.count(value) == 1)
    assert value not in redactor(secret)(text)


@given(secret=SHORT)
def test_a_short_secret_alone_is_masked(secret: str) -> None:
    """A log field or an error text that is exactly the secret is masked."""
    assert redactor(secret)(secret) == MASK


def test_a_short_secret_in_prose_is_left_alone() -> None:
    """A password '2024' does not turn every year into asterisks: the rule masks it only as a
    value (documented in bot/core/kernel/redaction.py)."""
    redact = redactor("2024")
    assert redact("report of 2024-05-01") == "report of 2024-05-01"
    assert redact("connect: password=2024 refused") == "connect: password=*** refused"


@given(bot_id=st.from_regex(r"[1-9][0-9]{0,11}", fullmatch=True), part=st.text(min_size=1))
def test_the_token_keeps_its_id_and_loses_its_secret(bot_id: str, part: str) -> None:
    """The bot token is masked whole to `<id>:***` whatever its length, in a Bot API URL too."""
    assume("*" not in part)
    token = f"{bot_id}:{part}"
    out = redactor(BotToken(token))(f"POST /bot{token}/getMe")
    assert token not in out and f"/bot{bot_id}:{MASK}" in out


@given(
    scheme=st.sampled_from(["postgresql", "redis", "rediss", "https", "amqp"]),
    user=st.from_regex(r"[a-z0-9_.-]{0,8}", fullmatch=True),
    password=st.text(st.characters(codec="utf-8"), min_size=1, max_size=20),
)
def test_any_url_password_is_masked(scheme: str, user: str, password: str) -> None:
    """A URL's password is masked even when no setting names it (a feed, a webhook URL)."""
    encoded = quote(password, safe="")
    url = f"{scheme}://{user}:{encoded}@host.example:5432/db"
    assert redactor()(f"failed: {url}") == f"failed: {scheme}://{user}:{MASK}@host.example:5432/db"


def test_a_secret_with_a_colon_is_masked_whole() -> None:
    """'x:2024' (a password, not a token) is masked whole, not only after its colon."""
    redact = redactor("x:2024")
    assert redact("AUTH x:2024 refused") == "AUTH *** refused"
    assert redact("redis://:x%3A2024@h:6379") == "redis://:***@h:6379"


class _Nested(BaseModel):
    smtp_password: str = "n3sted"
    host: str = "mail.example"


class _ModuleSettings(Settings):
    feed_api_key: str = "k1"
    partner_token: SecretStr = SecretStr("t0k")
    nested: _Nested = _Nested()
    mission_time: str = "09:00"


def test_settings_name_every_secret() -> None:
    """Every setting whose name ends in TOKEN, SECRET, PASSWORD or KEY (a module's, nested too),
    every SecretStr, the token (its id readable) and the URLs' passwords are secrets."""
    settings = _ModuleSettings(
        _env_file=None,
        bot_token=SecretStr("42:abc"),
        database_url="postgresql://u:x:2024@db/companion",
        redis_url="redis://:r@127.0.0.1:6379/0",
    )
    secrets = settings.secrets()
    assert set(secrets) == {"42:abc", "k1", "t0k", "n3sted", "x:2024", "r"}
    assert [s for s in secrets if isinstance(s, BotToken)] == ["42:abc"]
    redact = redactor(*secrets)
    assert (
        redact("GET /bot42:abc/getMe key='k1' at 09:00")
        == "GET /bot42:***/getMe key='***' at 09:00"
    )
