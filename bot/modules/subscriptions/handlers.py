"""Thin PTB callbacks: /grant, /revoke (admins) and /status."""

from __future__ import annotations

from telegram import Update

from bot.core.commands import admin_only
from bot.core.context import BotContext
from bot.core.logging import get_logger
from bot.modules.subscriptions import access, service

log = get_logger(__name__)

GRANT_USAGE = "Usage: /grant <user_id> <duration>, e.g. /grant 123456789 30d (s, m, h, d or w)."
REVOKE_USAGE = "Usage: /revoke <user_id>"


def _user_id(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < len(text) <= 15 else None


@admin_only
async def grant(update: Update, context: BotContext) -> None:
    """Grant or extend a subscription and send the user a one-person invite link."""
    message, args = update.effective_message, context.args or []
    if message is None:
        return
    user_id = _user_id(args[0]) if len(args) == 2 else None
    if user_id is None:
        await message.reply_text(GRANT_USAGE)
        return
    try:
        duration = service.parse_duration(args[1])
    except service.DurationError as exc:
        await message.reply_text(f"Nothing granted: {exc}.")
        return
    services = context.services
    async with services.db.session() as session:
        known = await service.user_exists(session, user_id)
    if not known:
        await message.reply_text(
            f"Nothing granted: user {user_id} has not started the bot (unknown user id)."
        )
        return
    try:
        outcome = await access.grant_access(services, context.bot, user_id, duration)
    except access.AccessError as exc:
        await message.reply_text(f"Nothing granted: {exc}.")
        return
    log.info("subscription granted", user_id=user_id, ends_at=outcome.grant.ends_at.isoformat())
    verb = "Extended" if outcome.grant.extended else "Granted"
    ends = service.local(outcome.grant.ends_at, services.settings.tz)
    await message.reply_text(
        f"{verb}: user {user_id} is subscribed until {ends}; invite link sent."
    )


@admin_only
async def revoke(update: Update, context: BotContext) -> None:
    """End a subscription now and remove the user from the VIP chat."""
    message, args = update.effective_message, context.args or []
    if message is None:
        return
    user_id = _user_id(args[0]) if len(args) == 1 else None
    if user_id is None:
        await message.reply_text(REVOKE_USAGE)
        return
    services = context.services
    async with services.db.session() as session:
        sub = await service.get(session, user_id)
    if sub is None or sub.status != "active":
        await message.reply_text(f"User {user_id} has no active subscription; nothing changed.")
        return
    await access.end_subscription(services, sub.id, user_id, sub.ends_at, revoked=True)
    await access.remove_ended(services, context.bot)
    log.info("subscription revoked", user_id=user_id)
    await message.reply_text(f"Revoked: user {user_id} no longer has VIP access.")


async def status(update: Update, context: BotContext) -> None:
    """Show the sender's subscription and when it ends."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    now = services.clock.now()
    async with services.db.session() as session:
        sub = await service.get(session, user.id)
    tz = services.settings.tz
    if sub is not None and sub.status == "active" and sub.ends_at > now:
        text = f"Your VIP subscription is active until {service.local(sub.ends_at, tz)}."
    elif sub is not None:
        text = f"Your VIP subscription ended on {service.local(sub.ends_at, tz)}."
    else:
        text = "You have no VIP subscription."
    await message.reply_text(text)
