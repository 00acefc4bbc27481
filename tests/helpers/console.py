"""The console's side of Telegram: ``initData`` signed with a bot's token exactly as Telegram
signs the data it hands a Mini App (core.telegram.org/bots/webapps, "Validating data received
via the Mini App"), so that the bot's real check runs against it in tests."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode


def init_data_hash(token: str, fields: dict[str, str]) -> str:
    """The ``hash`` Telegram gives ``fields``: hex HMAC-SHA256 of the data-check string (every
    field but ``hash``, sorted by key, ``key=value`` joined by newlines) keyed with
    HMAC-SHA256(key="WebAppData", msg=token)."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def sign_init_data(token: str, user: dict[str, Any], auth_date: int, **fields: str) -> str:
    """``initData`` as Telegram hands it to a Mini App opened by ``user`` at ``auth_date``
    (Unix seconds): the URL-encoded fields ``query_id`` (unless given), ``user`` (compact JSON),
    ``auth_date``, any other ``fields``, and their ``hash`` signed with ``token``."""
    values = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(auth_date),
        **fields,
    }
    values["hash"] = init_data_hash(token, values)
    return urlencode(values)


def telegram_user(
    user_id: int, *, first_name: str = "Admin", language: str = "en"
) -> dict[str, Any]:
    """The ``user`` object of ``initData`` for ``user_id``."""
    return {
        "id": user_id,
        "first_name": first_name,
        "username": f"user{user_id}",
        "language_code": language,
        "allows_write_to_pm": True,
    }
