"""/invite and the event handlers of the referrals module."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.core.context import BotContext, Services
from bot.modules.missions.events import MissionCompleted
from bot.modules.referrals import service


async def invite(update: Update, context: BotContext) -> None:
    """The user's invite link and how many friends joined and were rewarded."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    async with context.services.db.session() as session:
        joined, rewarded = await service.invite_figures(session, user.id)
    link = f"https://t.me/{context.bot.username}?start=ref_{user.id}"
    await message.reply_text(
        f"Invite friends with your link:\n{link}\n\n"
        f"Friends who joined: {joined}\nRewards earned: {rewarded} "
        f"({service.REWARD} points each, when a friend completes their first mission)."
    )


class ReferralHandlers:
    """Record the reward in the completion's transaction; pay it after the commit."""

    __slots__ = ("services",)

    def __init__(self, services: Services) -> None:
        self.services = services

    async def record(self, event: MissionCompleted, session: AsyncSession) -> None:
        await service.record_due(session, event.user_id, self.services.clock.now())

    async def pay(self, event: MissionCompleted) -> None:
        async with self.services.uow() as uow:
            await service.pay(uow.session, self.services, event.user_id)
