"""Arguments of a manual run: ``key=value`` words read by the types a job declares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


class ArgsError(ValueError):
    """Arguments a job does not accept; the message says what it does accept."""


def accepted(declared: Mapping[str, type]) -> str:
    """``limit=int, dry=bool`` (or ``no arguments``)."""
    return ", ".join(f"{key}={kind.__name__}" for key, kind in declared.items()) or "no arguments"


def parse_args(declared: Mapping[str, type], words: Sequence[str]) -> dict[str, Any]:
    """Parse ``["limit=5", "dry=yes"]`` against ``{"limit": int, "dry": bool}``."""
    values: dict[str, Any] = {}
    for word in words:
        key, sep, raw = word.partition("=")
        kind = declared.get(key)
        if not sep or kind is None or key in values:
            raise ArgsError(f"unexpected argument {word!r}; accepts: {accepted(declared)}")
        try:
            values[key] = _convert(kind, raw)
        except ValueError:
            raise ArgsError(
                f"{key} must be {kind.__name__}, got {raw!r}; accepts: {accepted(declared)}"
            ) from None
    return values


def _convert(kind: type, raw: str) -> Any:
    if kind is bool:
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise ValueError(raw)
    if kind is datetime:
        return datetime.fromisoformat(raw)
    if kind is date:
        return date.fromisoformat(raw)
    return kind(raw)
