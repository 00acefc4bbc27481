"""Numbers typed by people: ASCII digits only, an explicit range, never an exception.

``str.isdigit`` is true for ``'²'`` (and ``int('²')`` raises), and ``int('١٢')`` is 12:
``isdigit`` followed by ``int`` either crashes a handler or accepts digits nobody meant.
Every number read from a chat, a button or a payload goes through :func:`ascii_int`,
which returns the value or ``None`` (the caller's documented refusal).
"""

from __future__ import annotations

ID_MAX = 2**63 - 1  # a BIGINT column
USER_ID_MAX = 2**52 - 1  # Telegram: a user id has at most 52 significant bits
SERIAL_MAX = 2**31 - 1  # an INTEGER primary key (PostgreSQL's int4)
_DIGITS = frozenset("0123456789")
_MAX_LENGTH = 20  # digits of ID_MAX, with a leading zero to spare


def ascii_int(text: str | None, lo: int, hi: int) -> int | None:
    """``text`` as an integer in ``[lo, hi]``; None unless it is ``-?[0-9]+`` in range.

    A minus sign is read only when ``lo`` is negative; no ``+``, spaces or underscores.
    """
    if not text:
        return None
    negative = text[0] == "-" and lo < 0
    digits = text[1:] if negative else text
    if not digits or len(digits) > _MAX_LENGTH or not _DIGITS.issuperset(digits):
        return None
    value = -int(digits) if negative else int(digits)
    return value if lo <= value <= hi else None
