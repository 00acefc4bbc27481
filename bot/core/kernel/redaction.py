"""Secrets masked out of any text: log lines, stored error texts, what admins are shown.

One function does it, :data:`redact` (``redact(text) -> text``), filled with the secrets of
the settings the process runs with (:meth:`Settings.secrets`: every ``SecretStr``, every
setting whose name ends in ``TOKEN``, ``SECRET``, ``PASSWORD`` or ``KEY``, the passwords of
``DATABASE_URL`` and ``REDIS_URL``). The rule, whatever a secret's characters (``:`` too):

- A secret of six characters or more is replaced by ``***`` wherever it appears: as
  written, escaped in JSON or in a Python repr, and URL-encoded, in any letter case
  (python-telegram-bot writes an error's text ``capitalize()``-d: lowercased after its
  first letter).
- A shorter one (``2024`` is a password and also a year) is replaced only where it stands as
  a whole value, so that ordinary text is left alone: the whole text, between matching
  quotes (``'ab'``), after a key naming a secret (``password=ab``, ``"token": "ab"``), and as
  a URL's password (``:ab@``); in any letter case too.
- The bot token ``<bot id>:<secret>`` is masked whole to ``<bot id>:***`` whatever its
  length (the id is public: Telegram shows it to anyone), and its secret part alone by the
  two rules above.
- Whether configured or not, the password of a URL's user info: ``scheme://user:***@host``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
LONG = 6  # a secret this long is masked wherever it appears; a shorter one only as a value

_KEY = r"(?i:\b\w*(?:password|passwd|pwd|secret|token|key)['\"]?\s*[=:]\s*['\"]?)"
_END = r"(?=\Z|[\s&;,'\"`)\]}>])"
_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:)[^\s/?#@]+(?=@)")


class BotToken(str):
    """A secret shaped ``<bot id>:<secret>`` whose id may be shown."""

    __slots__ = ()


def forms(secret: str) -> set[str]:
    """The ways a text may hold ``secret``: as written, JSON-escaped (ASCII or not), inside a
    Python repr, and URL-encoded (``%20`` or ``+`` for a space)."""
    found = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    found.add(repr(secret)[1:-1])
    found.add(quote(secret, safe="", errors="surrogatepass"))
    found.add(quote_plus(secret, safe="", errors="surrogatepass"))
    return found


class Redactor:
    """Replaces every known secret in a text by ``***`` (the rule is the module's docstring).

    Process-wide, like logging: :func:`~bot.core.kernel.configure_logging` sets the secrets,
    and every kernel built from settings adds its own (a test's in-process bot too).
    """

    __slots__ = ("_long", "_plain", "_short", "_tokens", "_tokens_re")
    _long: re.Pattern[str] | None

    def __init__(self) -> None:
        self._plain: set[str] = set()
        self._tokens: set[tuple[str, str]] = set()
        self._compile()

    def set(self, secrets: Iterable[str]) -> None:
        """Mask exactly ``secrets`` from now on (a :class:`BotToken` keeps its id readable)."""
        self._plain, self._tokens = set(), set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask ``secrets`` too."""
        for secret in secrets:
            if isinstance(secret, BotToken) and ":" in secret:
                bot_id, part = secret.split(":", 1)
                self._tokens.add((bot_id, part))
                secret = part
            if secret:
                self._plain.add(secret)
        self._compile()

    def _compile(self) -> None:
        longs = {form for s in self._plain if len(s) >= LONG for form in forms(s)}
        self._long = re.compile(_alternation(longs), re.IGNORECASE) if longs else None
        shorts = {form for s in self._plain if len(s) < LONG for form in forms(s)}
        self._short: tuple[tuple[re.Pattern[str], str], ...] = ()
        if shorts:
            alt = _alternation(shorts)
            self._short = (
                (re.compile(f"({_KEY})(?:{alt}){_END}", re.I), rf"\g<1>{MASK}"),
                (re.compile(f"(['\"`])(?:{alt})\\1", re.I), rf"\g<1>{MASK}\g<1>"),
                (re.compile(f"(?<=:)(?:{alt})(?=@)", re.I), MASK),
                (re.compile(f"\\A(\\s*)(?:{alt})(\\s*)\\Z", re.I), rf"\g<1>{MASK}\g<2>"),
            )
        tokens = [
            f"{re.escape(bot_id)}(?::|%3[Aa])(?:{_alternation(forms(part))})"
            for bot_id, part in self._tokens
        ]
        self._tokens_re = re.compile(
            "|".join(f"(?:{t})" for t in sorted(tokens, key=len, reverse=True)) or r"(?!)", re.I
        )

    def __call__(self, text: str) -> str:
        text = self._mask_long(text)
        text = self._tokens_re.sub(_keep_id, text)
        for pattern, replacement in self._short:
            text = pattern.sub(replacement, text)
        text = _USERINFO.sub(rf"\g<1>{MASK}", text)
        return self._mask_long(text)  # a mask put next to a fragment never rebuilds a secret

    def _mask_long(self, text: str) -> str:
        """Every long form out, until none is left: each replacement shortens the text (a form
        is longer than the mask), so this ends, and a secret rebuilt around a mask (``ab***c``
        around ``***``) is caught on the next pass."""
        if self._long is None:
            return text
        while True:
            text, found = self._long.subn(MASK, text)
            if not found:
                return text


def _alternation(texts: Iterable[str]) -> str:
    return "|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True))


def _keep_id(match: re.Match[str]) -> str:
    """``<bot id>:***`` (or ``%3A`` as it was written) for a whole token."""
    found = match.group(0)
    colon, encoded = found.find(":"), found.lower().find("%3a")
    if colon < 0 or 0 <= encoded < colon:
        return found[: encoded + 3] + MASK
    return found[: colon + 1] + MASK


redact = Redactor()  # process-wide, like logging itself; filled by configure_logging
