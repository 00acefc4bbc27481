"""Thin PTB callbacks for free trials and promo codes: /trial and /redeem (users),
/addcode, /codes and /dropcode (admins)."""

from __future__ import annotations

from telegram import Message, Update

from bot.core.context import BotContext
from bot.core.kernel import ascii_int
from bot.core.people import N_, _, zone_for
from bot.core.telegram import Command, admin_commands, user_commands
from bot.modules.subscriptions import access, by_admin, codes, service
from bot.modules.subscriptions.settings import SubscriptionSettings

ADDCODE_USAGE = N_(
    "Usage: /addcode <CODE> <duration> <uses> [expires YYYY-MM-DD], e.g. "
    "/addcode SUMMER-25 30d 100 expires 2026-08-31 (a code is 3 to 32 letters, digits or "
    "hyphens)."
)
DROPCODE_USAGE = N_("Usage: /dropcode <CODE>")
REDEEM_USAGE = N_("Usage: /redeem <CODE>, e.g. /redeem SUMMER-25")

REFUSALS = {
    codes.Refusal.UNKNOWN: N_("There is no such code; nothing changed."),
    codes.Refusal.EXPIRED: N_("This code has expired; nothing changed."),
    codes.Refusal.USED_UP: N_("This code has been used up; nothing changed."),
    codes.Refusal.ALREADY: N_("You have already redeemed this code; nothing changed."),
}


async def _granted(
    message: Message, context: BotContext, user_id: int, outcome: access.Access
) -> None:
    async with context.services.db.session() as session:
        tz = await zone_for(session, user_id, context.services.settings.tz)
    text = _("Done: you are subscribed until {ends}; your invite link is on its way.")
    await message.reply_text(text.format(ends=service.local(outcome.grant.ends_at, tz)))


async def _not_granted(message: Message, exc: Exception) -> None:
    if isinstance(exc, by_admin.UnknownUser):
        await message.reply_text(_("Send /start first, then try again; nothing changed."))
    else:
        await message.reply_text(_("Nothing granted: {reason}.").format(reason=exc))


async def trial(update: Update, context: BotContext) -> None:
    """Grant ``VIP_TRIAL_DAYS`` of VIP to the sender, once per user, ever."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    days = context.settings.of(SubscriptionSettings).vip_trial_days
    if days == 0:
        await message.reply_text(_("There is no free trial at the moment."))
        return
    try:
        outcome = await codes.take_trial(context.services, context.bot, user.id, days)
    except codes.Refused:
        await message.reply_text(_("You have already had your free trial; it is once per user."))
        return
    except (by_admin.UnknownUser, access.AccessError) as exc:
        await _not_granted(message, exc)
        return
    await _granted(message, context, user.id, outcome)


async def redeem(update: Update, context: BotContext) -> None:
    """Redeem a promo code: its days of VIP, as /grant gives them."""
    message, user, args = update.effective_message, update.effective_user, context.args or []
    if message is None or user is None:
        return
    code = codes.parse_code(args[0]) if len(args) == 1 else None
    if code is None:
        await message.reply_text(_(REDEEM_USAGE))
        return
    try:
        outcome = await codes.redeem(context.services, context.bot, user.id, code)
    except codes.Refused as refused:
        await message.reply_text(_(REFUSALS[refused.reason]))
        return
    except (by_admin.UnknownUser, access.AccessError) as exc:
        await _not_granted(message, exc)
        return
    await _granted(message, context, user.id, outcome)


def _code_args(args: list[str]) -> tuple[str, str, int, str | None] | None:
    """``CODE duration uses [expires YYYY-MM-DD]`` -> (code, duration, uses, date text)."""
    if len(args) not in (3, 5) or (len(args) == 5 and args[3].lower() != "expires"):
        return None
    code, uses = codes.parse_code(args[0]), ascii_int(args[2], 1, codes.MAX_USES)
    if code is None or uses is None:
        return None
    return code, args[1], uses, args[4] if len(args) == 5 else None


async def addcode(update: Update, context: BotContext) -> None:
    """Define a promo code: a duration of VIP, a number of uses, maybe a last day."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    parsed = _code_args(context.args or [])
    if parsed is None:
        await message.reply_text(_(ADDCODE_USAGE))
        return
    code, duration, uses, day_text = parsed
    services = context.services
    try:
        length = service.parse_duration(duration)
    except service.DurationError as exc:
        await message.reply_text(_("Nothing added: {reason}.").format(reason=exc))
        return
    expires_at = None
    if day_text is not None:
        day = codes.parse_date(day_text)
        if day is None:
            await message.reply_text(_(ADDCODE_USAGE))
            return
        expires_at = codes.end_of_day(day, services.settings.tz)
        if expires_at <= services.clock.now():
            await message.reply_text(_("Nothing added: that day is already over."))
            return
    seconds, now = int(length.total_seconds()), services.clock.now()
    if not await codes.add_code(services.db, code, seconds, uses, expires_at, by=user.id, now=now):
        await message.reply_text(_("Nothing added: code {code} exists already.").format(code=code))
        return
    await message.reply_text(_("Added: code {code}, {uses} uses.").format(code=code, uses=uses))


async def list_codes(update: Update, context: BotContext) -> None:
    """Every promo code with its duration, uses left and last day."""
    message = update.effective_message
    if message is None:
        return
    rows = await codes.list_codes(context.services.db)
    if not rows:
        await message.reply_text(_("No promo codes."))
        return
    tz, lines = context.services.settings.tz, []
    for row in rows:
        line = _("{code}: {duration}, {left} of {uses} uses left").format(
            code=row.code, duration=_seconds_text(row.seconds), left=row.uses_left, uses=row.uses
        )
        if row.expires_at is not None:
            line += ", " + _("valid until {ends}").format(ends=service.local(row.expires_at, tz))
        lines.append(line)
    await message.reply_text("\n".join(lines))


def _seconds_text(seconds: int) -> str:
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def dropcode(update: Update, context: BotContext) -> None:
    """Delete a promo code (who redeemed it stays on record)."""
    message, args = update.effective_message, context.args or []
    if message is None:
        return
    code = codes.parse_code(args[0]) if len(args) == 1 else None
    if code is None:
        await message.reply_text(_(DROPCODE_USAGE))
        return
    if await codes.drop_code(context.services.db, code):
        await message.reply_text(_("Dropped: code {code}.").format(code=code))
    else:
        await message.reply_text(_("There is no code {code}; nothing changed.").format(code=code))


COMMANDS: tuple[Command, ...] = (
    *user_commands(
        ("trial", N_("take your free VIP trial (once)"), "", trial),
        available=lambda settings: settings.of(SubscriptionSettings).vip_trial_days > 0,
    ),
    # In a private chat only: a code typed in a group would be given away to it.
    *user_commands(("redeem", N_("redeem a VIP promo code"), N_("<CODE>"), redeem), private=True),
    *admin_commands(
        (
            "addcode",
            N_("define a VIP promo code"),
            N_("<CODE> <duration> <uses> [expires YYYY-MM-DD]"),
            addcode,
        ),
        ("codes", N_("list the VIP promo codes and their uses left"), "", list_codes),
        ("dropcode", N_("delete a VIP promo code"), N_("<CODE>"), dropcode),
    ),
)
