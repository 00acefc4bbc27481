"""Telegram's paid lane for bulk sends: which claimed rows go with ``allow_paid_broadcast``.

A send with ``allow_paid_broadcast`` may go at up to 1,000 messages a second instead of the
free 30, for 0.1 Star a message from the bot's balance. Whether a row goes paid is decided
when the sender claims it, not when it is queued: a :class:`PaidLane` (a port a module fills
in, see ``bot/modules/broadcast/paid.py``) is asked about every claimed batch and answers
with the rows it admits, counting their cost against its budget in the claim's transaction.
Admitted rows get the flag in memory only (the row in the database is unchanged), so a row
the lane no longer pays for falls back to the free rate at its next claim. The rate limiter
puts a flagged send in its own total window (``RATE_PAID_PER_SECOND``) instead of the free
one (``RATE_GLOBAL_PER_SECOND``); each chat's own window still holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery.claimed import Claimed

FLAG = "allow_paid_broadcast"
# What Telegram says when the bot's Stars do not cover a paid send, lower-cased (PTB strips
# "Bad Request: " and capitalizes the rest: "Balance_too_low"); sent again without the flag.
BALANCE_TOO_LOW = "balance_too_low"


class PaidLane:
    """No row is paid for: the lane until a module installs its own."""

    __slots__ = ()

    async def admit(
        self, session: AsyncSession, rows: Sequence[Claimed], now: datetime
    ) -> set[int]:
        """The ids of the claimed ``rows`` to send in the paid lane (their cost counted in
        ``session``'s transaction); the others go at the free rate."""
        return set()

    async def refused(self, row: Claimed) -> None:
        """Telegram refused ``row``'s paid send (the bot's balance is too low); it is sent
        again without the flag. The lane should stop paying (and may give the cost back)."""


def is_paid(row: Claimed) -> bool:
    return bool(row.payload.get(FLAG))


def unpaid(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != FLAG}


async def choose(
    session: AsyncSession, lane: PaidLane, rows: list[Claimed], now: datetime
) -> list[Claimed]:
    """``rows`` with the flag on those ``lane`` admits (asked only when there are rows)."""
    if not rows:
        return rows
    admitted = await lane.admit(session, rows, now)
    if not admitted:
        return rows
    return [
        replace(row, payload={**row.payload, FLAG: True}) if row.id in admitted else row
        for row in rows
    ]
