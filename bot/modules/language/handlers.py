"""Thin PTB callbacks: /language with a button per language, and the button pressed."""

from __future__ import annotations

from babel import Locale
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.context import BotContext
from bot.core.people import _, choices, languages, speaking, store_choice
from bot.core.people import current as current_language

PREFIX = "lang:set:"


def name(language: str) -> str:
    """A language's name in itself ("English", "Українська"), as its readers look for it."""
    own = Locale.parse(language).get_display_name(language) or language
    return own[:1].upper() + own[1:]


def keyboard(chosen: str) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if code == chosen else "") + name(code), callback_data=f"{PREFIX}{code}"
            )
        ]
        for code in languages()
    ]
    return InlineKeyboardMarkup(rows)


async def show(update: Update, context: BotContext) -> None:
    """The languages available, the current one ticked."""
    message = update.effective_message
    if message is None:
        return
    current = current_language()
    text = _("I write to you in {language}. Choose another:").format(language=name(current))
    await message.reply_text(text, reply_markup=keyboard(current))


async def pressed(update: Update, context: BotContext) -> None:
    """``lang:set:<code>``: store the choice and answer in the new language; a stale or
    forged button changes nothing."""
    query = update.callback_query
    if query is None:
        return
    language = (query.data or "").removeprefix(PREFIX)
    services = context.services
    stored = False
    if language in languages():
        async with services.db.session() as session:
            known = choices(context.application.bot_data)
            stored = await store_choice(session, known, query.from_user.id, language)
    if not stored:
        await query.answer(_("That language is not available. Send /language again."))
        return
    with speaking(language):
        text = _("Done: I will write to you in {language}.").format(language=name(language))
        await query.answer(text)
        await query.edit_message_text(text, reply_markup=keyboard(language))
