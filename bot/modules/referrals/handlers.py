"""/invite and the event handlers of the referrals module."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.core.context import BotContext, Services
from bot.core.kernel import UserRegistered
from bot.core.people import _, number
from bot.modules.missions.events import MissionCompleted
from bot.modules.referrals import service


async def invite(update: Update, context: BotContext) -> None:
    """The user's invite link and how many friends joined and were rewarded."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    async with context.db.session() as session:
        joined, rewarded = await service.invite_figures(session, user.id)
    link = f"https://t.me/{context.bot.username}?start=ref_{user.id}"
    text = _(
        "Invite friends with your link:\n{link}\n\n"
        "Friends who joined: {joined}\nRewards earned: {rewarded} "
        "({reward} points each, when a friend completes their first mission)."
    )
    values = {"link": link, "joined": number(joined), "rewarded": number(rewarded)}
    await message.reply_text(text.format(**values, reward=number(service.REWARD)))


class ReferralHandlers:
    """Record the reward in the completion's transaction; pay it after the commit."""

    __slots__ = ("services",)

    def __init__(self, services: Services) -> None:
        self.services = services

    async def record(self, event: MissionCompleted, session: AsyncSession) -> None:
        await service.record_due(session, event.user_id, self.services.clock.now())

    async def pay(self, event: MissionCompleted) -> None:
        async with self.services.uow() as uow:
            await service.pay(uow, self.services, event.user_id)

    async def inviter_arrived(self, event: UserRegistered) -> None:
        """A user's first /start: pay friends' rewards that waited for them."""
        await service.inviter_arrived(self.services, event.user_id)
