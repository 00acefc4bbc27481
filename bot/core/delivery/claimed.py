"""A claimed outbox row as the sender holds it: apart from the claiming code, so that what
only reads it (the paid lane, the answers) needs nothing of how rows are claimed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Claimed:
    """One leased row, detached from any session; ``attempts`` were made before this claim,
    ``due`` is when it was due then (its place in line, kept if it is given back unsent)."""

    id: int
    key: str
    chat_id: int
    user_id: int | None
    method: str
    payload: dict[str, Any]
    attempts: int
    category: str = ""
    priority: int = 0
    token: str = ""
    owner: str = ""
    due: datetime | None = None
