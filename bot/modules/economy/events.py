"""Facts the economy module publishes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.kernel import Event


@dataclass(frozen=True, slots=True)
class PointsAwarded(Event):
    """A ledger row added ``amount`` points to a user's balance."""

    user_id: int
    amount: int
    reason: str
    reference: str
    balance: int
