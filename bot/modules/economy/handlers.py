"""/balance: points, streak and the last ledger rows."""

from __future__ import annotations

from telegram import Update

from bot.core.context import BotContext
from bot.core.people import N_, _, day, ngettext, number, zone_for
from bot.modules.economy import service

REASONS: dict[str, str] = {
    service.Reason.MISSION: N_("mission"),
    service.Reason.STREAK_BONUS: N_("streak bonus"),
    service.Reason.REFERRAL: N_("friend invited"),
}


async def balance(update: Update, context: BotContext) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    services = context.services
    async with services.db.session() as session:
        tz = await zone_for(session, user.id, services.settings.tz)
        account = await service.statement(session, user.id, services.clock.today(tz))
    days = ngettext("{count} day", "{count} days", account.streak)
    lines = [
        _("💰 Points: {points}").format(points=number(account.points)),
        _("🔥 Streak: {days}").format(days=days.format(count=number(account.streak))),
    ]
    if account.recent:
        lines += ["", _("Last transactions:")]
        lines += [
            f"{day(row.created_at.astimezone(tz).date())} {_signed(row.amount)} "
            f"{_reason(row.reason)}"
            for row in account.recent
        ]
    else:
        lines += ["", _("No points yet: send /mission to earn your first.")]
    await message.reply_text("\n".join(lines))


def _signed(amount: int) -> str:
    return ("+" if amount >= 0 else "-") + number(abs(amount))


def _reason(reason: str) -> str:
    known = REASONS.get(reason)
    return _(known) if known else reason
