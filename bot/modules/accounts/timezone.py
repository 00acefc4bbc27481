"""``/timezone``: a short list to tap, or a typed IANA name or UTC offset."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.context import BotContext
from bot.core.kernel import USER_ID_MAX, UserZoneChanged, ascii_int
from bot.core.people import (
    N_,
    ZoneError,
    _,
    parse_zone,
    set_timezone,
    suggested,
    timezone_of,
    zone_of,
)

PREFIX = "tz:"
FOR = "@"  # tz:<zone>@<user id>: a menu sent in a group, for the member who asked
CHOOSE = N_(
    "Your time zone is {zone}. Tap yours below, or send it: /timezone Europe/Kyiv "
    "or /timezone +5:45 (/timezone default follows the bot's {default})."
)
SET = N_("Your time zone is now {zone}; it is {time} there. Missions and reminders follow it.")
UNKNOWN_ZONE = N_("I don't know the time zone {text}. Did you mean: {suggestions}?")
UNKNOWN_NO_IDEA = N_(
    "I don't know the time zone {text}. Send a name such as Europe/Kyiv or an offset such as +5:45."
)
NOT_REGISTERED = N_("Send /start first, then choose your time zone.")
STALE = N_("That button is not valid any more. Send /timezone again.")
NOT_YOURS = N_("This button is not valid for you.")


async def timezone(update: Update, context: BotContext) -> None:
    """Without an argument: the current zone and a short list; with one: set it."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    text = " ".join(context.args or [])
    if not text:
        async with services.db.session() as session:
            current = await timezone_of(session, user.id)
        choices = suggested(user.language_code, services.settings.timezone)
        private = update.effective_chat is None or update.effective_chat.id == user.id
        buttons = [
            [InlineKeyboardButton(z, callback_data=choice_data(z, None if private else user.id))]
            for z in choices
        ]
        await message.reply_text(
            _(CHOOSE).format(
                zone=current or services.settings.timezone, default=services.settings.timezone
            ),
            reply_markup=InlineKeyboardMarkup(buttons),
        )
        return
    try:
        zone = None if text.strip().lower() == "default" else parse_zone(text)
    except ZoneError as exc:
        await message.reply_text(_refusal(exc))
        return
    await message.reply_text(await _store(context, user.id, zone))


def _refusal(error: ZoneError) -> str:
    if not error.suggestions:
        return _(UNKNOWN_NO_IDEA).format(text=error.text)
    return _(UNKNOWN_ZONE).format(text=error.text, suggestions=", ".join(error.suggestions))


async def _store(context: BotContext, user_id: int, zone: str | None) -> str:
    """Store the zone and recompute the user's times in one transaction; the answer."""
    services = context.services
    async with services.uow() as uow:
        if not await set_timezone(uow.session, user_id, zone):
            return _(NOT_REGISTERED)
        await uow.publish(UserZoneChanged(user_id, zone))
    shown = zone or services.settings.timezone
    local = services.clock.local_now(zone_of(zone, services.settings.tz))
    return _(SET).format(zone=shown, time=local.strftime("%H:%M"))


def choice_data(zone: str, owner: int | None) -> str:
    """A zone button's data: ``tz:<zone>`` in the user's private chat; in a group, where
    everyone sees the menu, ``tz:<zone>@<user id>``, which only that member may press."""
    return PREFIX + zone if owner is None else f"{PREFIX}{zone}{FOR}{owner}"


def read_choice(data: str | None) -> tuple[str, int | None] | None:
    """The zone text and the member a zone button is for (None: a private chat's menu) of
    ``data``; None when it names a member that is not a user id."""
    zone, mark, owner = (data or "").removeprefix(PREFIX).partition(FOR)
    if not mark:
        return zone, None
    member = ascii_int(owner, 1, USER_ID_MAX)
    return None if member is None else (zone, member)


def _for_presser(query: CallbackQuery, owner: int | None) -> bool:
    """Whether the menu was for the presser: the member its data names, else (a menu in a
    private chat) the private chat's user."""
    if owner is not None:
        return owner == query.from_user.id
    message = query.message
    return message is not None and message.chat.id == query.from_user.id


async def pressed(update: Update, context: BotContext) -> None:
    """``tz:<zone>`` from the list: set it (a name that is not a zone any more is refused).
    A menu in a group is its asker's: anyone else's press is answered and changes nothing
    (neither their zone nor the message everyone sees)."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    choice = read_choice(query.data)
    if choice is None or not _for_presser(query, choice[1]):
        await query.answer(_(NOT_YOURS), show_alert=True)
        return
    try:
        zone = parse_zone(choice[0])
    except ZoneError:
        await query.answer(_(STALE), show_alert=True)
        return
    answer = await _store(context, query.from_user.id, zone)
    await query.answer()
    await query.edit_message_text(answer)
