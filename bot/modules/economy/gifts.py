"""Telegram gifts for streak milestones, paid from the bot's Stars.

A milestone claims its unique ``streak_gifts`` row in the transaction of the
``MissionCompleted`` that reached it, so a streak reached twice, or an event delivered
twice, claims one gift. Sending admits the gift against the month's budget (the sum of the
prices of the gifts sent or being sent this month) in one conditional UPDATE, then calls
``sendGift``; a refused or failed call releases the claim for ``economy.send_gifts`` to
retry. A gift the budget cannot take is marked ``over_budget`` (never sent) and the admins
are told once a month.
"""

from __future__ import annotations

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import TelegramError

from bot.core.alerts import alert_admins
from bot.core.context import Services
from bot.core.kernel import dialect_insert, get_logger, redact, rowcount
from bot.core.people import _, speaking_to
from bot.modules.economy.models import StreakGift
from bot.modules.economy.settings import EconomySettings
from bot.modules.missions.events import MissionCompleted

log = get_logger(__name__)
SPENDING = ("sending", "sent")


class Gifts:
    """The economy's gift reactions and the delivery the job repeats."""

    __slots__ = ("services",)

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def settings(self) -> EconomySettings:
        return self.services.settings.of(EconomySettings)

    async def claim(self, event: MissionCompleted, session: AsyncSession) -> None:
        """In the completion's transaction: claim the milestone's gift (once per user and
        milestone, whatever happens later)."""
        settings = self.settings
        if not settings.gift_id or event.streak not in settings.gift_streak_days:
            return
        row = dialect_insert(session, StreakGift).values(
            user_id=event.user_id,
            milestone=event.streak,
            gift_id=settings.gift_id,
            status="pending",
            attempts=0,
            created_at=self.services.clock.now(),
        )
        await session.execute(row.on_conflict_do_nothing())

    async def completed(self, event: MissionCompleted) -> None:
        """After the commit: send what the completion claimed."""
        if self.settings.gift_id and event.streak in self.settings.gift_streak_days:
            await self.deliver(user_id=event.user_id)

    async def deliver(self, user_id: int | None = None) -> int:
        """Send every pending gift (of ``user_id``, or of everyone); how many were sent."""
        async with self.services.db.session() as session:
            query = select(StreakGift.id).where(StreakGift.status == "pending")
            if user_id is not None:
                query = query.where(StreakGift.user_id == user_id)
            pending = list((await session.scalars(query.order_by(StreakGift.id))).all())
        sent = 0
        for gift_row in pending:
            sent += await self._deliver_one(gift_row)
        return sent

    async def _deliver_one(self, row_id: int) -> int:
        async with self.services.db.session() as session:
            gift = await session.get(StreakGift, row_id)
            if gift is None or gift.status != "pending":
                return 0
            user_id, milestone, gift_id = gift.user_id, gift.milestone, gift.gift_id
        price = await self._price(gift_id)
        if price is None:
            await self._release(row_id, f"gift {gift_id} is not in getAvailableGifts")
            return 0
        month = self.services.clock.today(self.services.settings.tz).strftime("%Y-%m")
        if not await self._admit(row_id, month, price):
            return 0
        try:
            await self.services.bot.send_gift(
                gift_id=gift_id, user_id=user_id, text=await self._text(user_id, milestone)
            )
        except TelegramError as exc:
            log.warning("gift not sent", user_id=user_id, milestone=milestone, error=str(exc))
            await self._release(row_id, str(exc))
            return 0
        await self._mark(row_id, status="sent", sent_at=self.services.clock.now())
        return 1

    async def _price(self, gift_id: str) -> int | None:
        try:
            catalogue = await self.services.bot.get_available_gifts()
        except TelegramError as exc:
            log.warning("getAvailableGifts failed", error=str(exc))
            return None
        return next((g.star_count for g in catalogue.gifts if g.id == gift_id), None)

    async def _admit(self, row_id: int, month: str, price: int) -> bool:
        """Count the gift against ``month``'s budget and mark it ``sending``, in one
        transaction; a gift the budget cannot take becomes ``over_budget``."""
        budget = self.settings.gift_monthly_budget
        async with self.services.db.session() as session:
            if session.get_bind().dialect.name == "postgresql":  # one admission at a time
                await session.execute(text("SELECT pg_advisory_xact_lock(7290029)"))
            spent = (
                select(func.coalesce(func.sum(StreakGift.star_count), 0))
                .where(StreakGift.month == month, StreakGift.status.in_(SPENDING))
                .scalar_subquery()
            )
            admitted = await session.execute(
                update(StreakGift)
                .where(StreakGift.id == row_id, StreakGift.status == "pending")
                .where(spent + price <= budget)
                .values(status="sending", month=month, star_count=price)
                .execution_options(synchronize_session=False)
            )
            if rowcount(admitted):
                return True
            refused = await session.execute(
                update(StreakGift)
                .where(StreakGift.id == row_id, StreakGift.status == "pending")
                .values(status="over_budget", month=month, star_count=price)
                .execution_options(synchronize_session=False)
            )
            if rowcount(refused):
                await alert_admins(
                    self.services, session, f"gifts-budget:{month}", lambda: _over_budget(budget)
                )
        return False

    async def _release(self, row_id: int, error: str) -> None:
        async with self.services.db.session() as session:
            await session.execute(
                update(StreakGift)
                .where(StreakGift.id == row_id)
                .values(
                    status="pending",
                    month=None,
                    star_count=None,
                    attempts=StreakGift.attempts + 1,
                    last_error=redact(error)[:300],
                )
                .execution_options(synchronize_session=False)
            )

    async def _mark(self, row_id: int, **values: object) -> None:
        async with self.services.db.session() as session:
            await session.execute(
                update(StreakGift)
                .where(StreakGift.id == row_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def _text(self, user_id: int, milestone: int) -> str:
        async with self.services.db.session() as session, speaking_to(session, user_id):
            return _("A gift for your {days}-day streak!").format(days=milestone)[:128]


def _over_budget(budget: int) -> str:
    return _(
        "🎁 A streak gift was not sent: this month's gift budget ({budget} Stars) is spent."
    ).format(budget=budget)
