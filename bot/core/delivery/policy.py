"""Who is told what, and when: a port the notifications module fills in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Decision:
    """Send or not; if so, not before ``not_before`` (e.g. after quiet hours)."""

    send: bool
    not_before: datetime | None = None


class Candidate(NamedTuple):
    """A claimed outbox row about to be sent, as the policy sees it."""

    row_id: int
    user_id: int
    category: str


class DeliveryPolicy(ABC):
    """Decides, per user and message category, whether and when a bulk message goes out.

    ``decide`` runs when a message is queued (one row at a time, in the caller's
    transaction); ``review`` runs again when the sender is about to send a batch, so
    that messages queued in bulk (``INSERT ... SELECT``) and preferences changed after
    queuing are honoured too.
    """

    __slots__ = ()

    @abstractmethod
    async def decide(
        self, session: AsyncSession, *, user_id: int, category: str, now: datetime
    ) -> Decision: ...

    async def review(
        self, session: AsyncSession, rows: Sequence[Candidate], now: datetime
    ) -> dict[int, Decision]:
        """Decisions for the rows that must not go out now, by row id; rows left out are
        sent. The default sends everything without touching the database."""
        return {}


class AllowAll(DeliveryPolicy):
    """Every message, at once: the policy until a module installs its own."""

    __slots__ = ()

    async def decide(
        self, session: AsyncSession, *, user_id: int, category: str, now: datetime
    ) -> Decision:
        return Decision(send=True)
