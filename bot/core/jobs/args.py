"""Arguments of a manual run: ``key=value`` words read by the types a job declares.

Numbers, dates and times take ASCII digits only (``int('١٢')`` is 12, ``int('²')``
raises) and ints stay within a BIGINT; any other declared type that refuses the text
is reported the same way. Nothing but :class:`ArgsError` leaves :func:`parse_args`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.core.kernel import ID_MAX, ascii_int
from bot.core.people import _

_FLOAT = re.compile(
    r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:e[+-]?[0-9]{1,3})?", re.IGNORECASE
)
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


class ArgsError(ValueError):
    """Arguments a job does not accept; the message says what it does accept."""


def accepted(declared: Mapping[str, type]) -> str:
    """``limit=int, dry=bool`` (or ``no arguments``)."""
    return ", ".join(f"{key}={kind.__name__}" for key, kind in declared.items()) or _(
        "no arguments"
    )


def parse_args(declared: Mapping[str, type], words: Sequence[str]) -> dict[str, Any]:
    """Parse ``["limit=5", "dry=yes"]`` against ``{"limit": int, "dry": bool}``."""
    values: dict[str, Any] = {}
    for word in words:
        key, sep, raw = word.partition("=")
        kind = declared.get(key)
        if not sep or kind is None or key in values:
            raise ArgsError(
                _("unexpected argument {word!r}; accepts: {accepted}").format(
                    word=word, accepted=accepted(declared)
                )
            )
        try:
            values[key] = _convert(kind, raw)
        except (ValueError, TypeError, OverflowError):
            wrong = _("{key} must be {kind}, got {raw!r}; accepts: {accepted}")
            raise ArgsError(
                wrong.format(key=key, kind=kind.__name__, raw=raw, accepted=accepted(declared))
            ) from None
    return values


def _convert(kind: type, raw: str) -> Any:
    if kind is bool:
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise ValueError(raw)
    if kind is int:
        value = ascii_int(raw, -ID_MAX, ID_MAX)
        if value is None:
            raise ValueError(raw)
        return value
    if kind is float:
        return _float(raw)
    if kind in (date, datetime) and not raw.isascii():
        raise ValueError(raw)
    if kind is datetime:
        return datetime.fromisoformat(raw)
    if kind is date:
        return date.fromisoformat(raw)
    return kind(raw)


def _float(raw: str) -> float:
    """A finite decimal number; ``nan``, ``inf``, ``1_0`` and non-ASCII digits are refused."""
    value = float(raw) if _FLOAT.fullmatch(raw) else math.nan
    if not math.isfinite(value):
        raise ValueError(raw)
    return value
