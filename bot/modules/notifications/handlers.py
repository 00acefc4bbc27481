"""Thin PTB callbacks: /notifications with toggle buttons, /quiet."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.context import BotContext
from bot.core.people import N_, _, pgettext, timezone_of
from bot.modules.notifications import service
from bot.modules.notifications.models import NotificationPrefs

QUIET_USAGE = N_("Usage: /quiet 22-08 (hours 0-23, start-end, may wrap midnight) or /quiet off")


def render(prefs: NotificationPrefs, zone: str) -> tuple[str, InlineKeyboardMarkup]:
    """The preferences message and its toggle buttons."""
    lines = [_("Your notifications (tap to switch):")]
    buttons = []
    for field, label in service.LABELS.items():
        on = bool(getattr(prefs, field))
        lines.append(f"{_(label)}: {_state(on)}")
        mark = "✅" if on else "❌"
        buttons.append(
            [InlineKeyboardButton(f"{mark} {_(label)}", callback_data=f"notif:toggle:{field}")]
        )
    if prefs.quiet_start is not None:
        window = f"{prefs.quiet_start:02d}:00-{prefs.quiet_end:02d}:00"
        lines.append(_("Quiet hours: {window} ({zone})").format(window=window, zone=zone))
    else:
        lines.append(_("Quiet hours: none (set with /quiet 22-08)"))
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def _state(on: bool) -> str:
    """ "on"/"off" of a switch (a context: "off" alone could be read several ways)."""
    return pgettext("switch", "on") if on else pgettext("switch", "off")


async def show(update: Update, context: BotContext) -> None:
    """Show the sender's preferences with toggle buttons."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    async with services.db.session() as session:
        prefs = await service.get(session, user.id)
        zone = await timezone_of(session, user.id) or services.settings.timezone
    text, markup = render(prefs, zone)
    await message.reply_text(text, reply_markup=markup)


async def pressed(update: Update, context: BotContext) -> None:
    """``notif:toggle:<field>``: flip it and edit the message in place; anything else is refused."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    action, _sep, field = (query.data or "").removeprefix("notif:").partition(":")
    if action != "toggle" or field not in service.LABELS:
        await query.answer(_("That button is not valid any more. Send /notifications again."))
        return
    services = context.services
    async with services.db.session() as session:
        prefs = await service.toggle(session, query.from_user.id, field)
        zone = await timezone_of(session, query.from_user.id) or services.settings.timezone
    text, markup = render(prefs, zone)
    await query.answer(f"{_(service.LABELS[field])}: {_state(bool(getattr(prefs, field)))}")
    await query.edit_message_text(text, reply_markup=markup)


async def _current_quiet(context: BotContext, user_id: int) -> str:
    """``/quiet`` alone: the window in force (in the user's zone) and how to change it."""
    async with context.db.session() as session:
        prefs = await service.get(session, user_id)
        zone = await timezone_of(session, user_id) or context.settings.timezone
    if prefs.quiet_start is None or prefs.quiet_end is None:
        current = _("You have no quiet hours.")
    else:
        hours = f"{prefs.quiet_start:02d}:00-{prefs.quiet_end:02d}:00"
        current = _("Your quiet hours: {window} ({zone}).").format(window=hours, zone=zone)
    return f"{current}\n{_(QUIET_USAGE)}"


async def quiet(update: Update, context: BotContext) -> None:
    """``/quiet 22-08`` holds bulk messages during those local hours; ``/quiet off`` clears;
    ``/quiet`` alone shows the hours in force."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = context.args or []
    if not args:
        await message.reply_text(await _current_quiet(context, user.id))
        return
    try:
        window = service.parse_quiet(args[0]) if len(args) == 1 else None
        if len(args) != 1:
            raise service.QuietHoursError("")
    except service.QuietHoursError:
        await message.reply_text(_(QUIET_USAGE))
        return
    services = context.services
    async with services.db.session() as session:
        await service.set_quiet(session, user.id, window)
        zone = await timezone_of(session, user.id) or services.settings.timezone
    if window is None:
        await message.reply_text(_("Quiet hours are off."))
        return
    text = _(
        "Quiet hours set: {window} ({zone}). Reminders and other bulk messages wait until "
        "the window ends; admin alerts do not."
    )
    hours = f"{window[0]:02d}:00-{window[1]:02d}:00"
    await message.reply_text(text.format(window=hours, zone=zone))
