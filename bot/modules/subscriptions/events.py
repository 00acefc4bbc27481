"""Facts the subscriptions module publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.kernel import Event


@dataclass(frozen=True, slots=True)
class SubscriptionGranted(Event):
    """A subscription was granted or extended until ``ends_at``."""

    user_id: int
    ends_at: datetime
    extended: bool


@dataclass(frozen=True, slots=True)
class SubscriptionExpired(Event):
    """A subscription ended (time ran out or an admin revoked it)."""

    user_id: int
    revoked: bool
