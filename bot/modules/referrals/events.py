"""Facts the referrals module publishes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.kernel import Event


@dataclass(frozen=True, slots=True)
class ReferralRewarded(Event):
    """An inviter was paid for a friend's first completed mission (once per friend)."""

    inviter_id: int
    invitee_id: int
    points: int
