"""Who is told what, and when: a port the notifications module fills in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

# Categories that bypass every preference (admins must hear about failures).
ALWAYS = frozenset({"alert", "reply"})


@dataclass(frozen=True, slots=True)
class Decision:
    """Send or not; if so, not before ``not_before`` (e.g. after quiet hours)."""

    send: bool
    not_before: datetime | None = None


class DeliveryPolicy(ABC):
    """Decides, per user and message category, whether and when a bulk message goes out."""

    __slots__ = ()

    @abstractmethod
    async def decide(
        self, session: AsyncSession, *, user_id: int, category: str, now: datetime
    ) -> Decision: ...


class AllowAll(DeliveryPolicy):
    """Every message, at once: the policy until a module installs its own."""

    __slots__ = ()

    async def decide(
        self, session: AsyncSession, *, user_id: int, category: str, now: datetime
    ) -> Decision:
        return Decision(send=True)
