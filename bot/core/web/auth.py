"""Telegram Mini App ``initData``: parsed and checked exactly as Telegram's docs say.

secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token); the data-check string is every
field but ``hash``, sorted by key, ``key=value`` joined by newlines; its hex
HMAC_SHA256(key=secret_key) must equal ``hash`` (compared in constant time), ``auth_date``
must be recent, and the ``user`` field names the user. Whatever the input, the answer is a
:class:`Signed` or None, never an exception.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from bot.core.kernel import ascii_int

FUTURE_SKEW = 60  # seconds an auth_date may lie ahead of our clock
USER_ID_MAX = 2**52  # Telegram's bound on user ids
MAX_LENGTH = 16_384  # a real initData is well under 2 kB
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Signed:
    """What a valid initData says: the user, when it was signed, and every field."""

    user_id: int
    auth_date: int
    fields: dict[str, str]


def secret_key(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def parse(raw: str) -> dict[str, str] | None:
    """The fields of a query string; None if it is too long or names a field twice."""
    if len(raw) > MAX_LENGTH:
        return None
    pairs = parse_qsl(raw, keep_blank_values=True, errors="replace")
    fields = dict(pairs)
    return fields if len(fields) == len(pairs) else None


def validate(raw: str, token: str, *, now: float, max_age: float) -> Signed | None:
    """The signed data when ``raw`` is initData signed for ``token``, at most ``max_age``
    seconds old and not from the future; None otherwise."""
    fields = parse(raw)
    if fields is None or not _HASH.fullmatch(fields.get("hash", "")):
        return None
    expected = hmac.new(secret_key(token), data_check_string(fields).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), fields["hash"]):
        return None
    auth_date = ascii_int(fields.get("auth_date", ""), 0, 2**40)
    if auth_date is None or not now - max_age <= auth_date <= now + FUTURE_SKEW:
        return None
    user_id = _user_id(fields.get("user", ""))
    return None if user_id is None else Signed(user_id, auth_date, fields)


def _user_id(text: str) -> int | None:
    try:
        user = json.loads(text)
    except (ValueError, RecursionError):
        return None
    found = user.get("id") if isinstance(user, dict) else None
    if type(found) is not int or not 0 < found < USER_ID_MAX:
        return None
    return found
