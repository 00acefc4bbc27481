"""Transactional reactions: points for completed missions and for referrals.

Both run inside the unit of work of their cause (declared ``in_transaction=True``),
so the fact and its points commit together; see :mod:`bot.modules.economy.service`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.kernel import UnitOfWork
from bot.modules.economy import service
from bot.modules.economy.service import Reason
from bot.modules.missions.events import MissionCompleted
from bot.modules.referrals.events import ReferralRewarded


class Awards:
    """The economy's transactional event handlers, bound to the services they need."""

    __slots__ = ("services",)

    def __init__(self, services: Services) -> None:
        self.services = services

    async def mission_completed(self, event: MissionCompleted, session: AsyncSession) -> None:
        """Mission points (reference: the assignment) plus the bonus every 7th day."""
        reference = str(event.assignment_id)
        await self._credit(session, event.user_id, event.points, Reason.MISSION, reference)
        bonus = service.streak_bonus(event.streak)
        if bonus:
            await self._credit(
                session, event.user_id, bonus, Reason.STREAK_BONUS, f"{reference}:bonus"
            )
        await service.mirror_streak(session, event.user_id, event.streak, event.day)

    async def referral_rewarded(self, event: ReferralRewarded, session: AsyncSession) -> None:
        """The inviter's reward, once per invitee (reference: the invitee)."""
        await self._credit(
            session, event.inviter_id, event.points, Reason.REFERRAL, str(event.invitee_id)
        )

    async def _credit(
        self, session: AsyncSession, user_id: int, amount: int, reason: str, reference: str
    ) -> None:
        await service.credit(
            UnitOfWork.of(session),
            user_id=user_id,
            amount=amount,
            reason=reason,
            reference=reference,
            now=self.services.clock.now(),
        )
