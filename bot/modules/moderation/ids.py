"""Numbers people and buttons hand to moderation: submission ids, card and withdraw presses.

Every one goes through :func:`bot.core.kernel.ascii_int`: ASCII digits only, a submission
id within its INTEGER column (``'²'``, ``'①'`` and ``'١'`` are refused, and so is an id past
2^31 - 1, which PostgreSQL could not even compare). Each parser gives a value or None,
never an exception; None is the caller's documented refusal (a usage line, "Unknown button").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.kernel import SERIAL_MAX, ascii_int

CARD_PREFIX = "mod"  # a review card's buttons: mod:<a|b|r>:<id>[:<reason index>]
WITHDRAW_PREFIX = "modw:"  # /mysuggestions' Withdraw buttons: modw:<id>
ACTIONS = frozenset("abr")  # approve, ban the author, reject with a preset reason
# "Suggestion #12 ...", in any language (the word is translated, the digits are not).
_CARD_HEAD = re.compile(r"^\w+ #([0-9]{1,10})(?![0-9])")


@dataclass(frozen=True, slots=True)
class CardPress:
    """A pressed card button: the action, the submission and (for a reject) the reason."""

    action: str
    submission_id: int
    reason: int | None = None


def submission_id(text: str | None) -> int | None:
    """A submission id typed or carried by a button: 1 to 2^31 - 1 in ASCII digits."""
    return ascii_int(text, 1, SERIAL_MAX)


def card_press(data: str | None, reasons: int) -> CardPress | None:
    """``mod:a:<id>``, ``mod:b:<id>`` or ``mod:r:<id>:<index>`` with an index below
    ``reasons`` (the preset reasons configured); None for anything else."""
    parts = (data or "").split(":")
    if len(parts) not in (3, 4) or parts[0] != CARD_PREFIX or parts[1] not in ACTIONS:
        return None
    ident = submission_id(parts[2])
    if ident is None or (len(parts) == 4) != (parts[1] == "r"):
        return None
    if parts[1] != "r":
        return CardPress(parts[1], ident)
    index = ascii_int(parts[3], 0, reasons - 1)
    return None if index is None else CardPress("r", ident, index)


def reason_index(value: object, reasons: int) -> int | None:
    """The preset reason a console request names (``{"reason": 1}``): a whole number (not a
    bool) or its ASCII digits, below ``reasons``; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return ascii_int(str(value), 0, reasons - 1)


def withdraw_press(data: str | None) -> int | None:
    """The submission of a ``modw:<id>`` button; None for anything else."""
    text = data or ""
    return submission_id(text[len(WITHDRAW_PREFIX) :]) if text.startswith(WITHDRAW_PREFIX) else None


def submission_id_of_key(key: str) -> int | None:
    """The submission of an outbox key ``<kind>:<id>:<chat>`` (a review card's)."""
    parts = key.split(":", 2)
    return submission_id(parts[1]) if len(parts) == 3 else None


def card_head(text: str | None) -> int | None:
    """The submission id at the head of a review card's text, if it has one."""
    head = _CARD_HEAD.match(text or "")
    return submission_id(head[1]) if head else None
