"""/balance: points, streak and the last ledger rows."""

from __future__ import annotations

from telegram import Update

from bot.core import users, zones
from bot.core.context import BotContext
from bot.modules.economy import service

REASONS: dict[str, str] = {
    service.Reason.MISSION: "mission",
    service.Reason.STREAK_BONUS: "streak bonus",
    service.Reason.REFERRAL: "friend invited",
}


async def balance(update: Update, context: BotContext) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    services = context.services
    async with services.db.session() as session:
        tz = zones.zone_of(await users.timezone_of(session, user.id), services.settings.tz)
        account = await service.statement(session, user.id, services.clock.today(tz))
    days = "day" if account.streak == 1 else "days"
    lines = [f"💰 Points: {account.points}", f"🔥 Streak: {account.streak} {days}"]
    if account.recent:
        lines += ["", "Last transactions:"]
        lines += [
            f"{row.created_at.astimezone(tz):%Y-%m-%d} "
            f"{row.amount:+d} {REASONS.get(row.reason, row.reason)}"
            for row in account.recent
        ]
    else:
        lines += ["", "No points yet: send /mission to earn your first."]
    await message.reply_text("\n".join(lines))
