"""/mydata and /forgetme: a person's own data, sent to them or forgotten.

/mydata sends everything the bot holds about the sender as one JSON document, at most once
every ``RETENTION__MYDATA_EVERY_MINUTES`` per user. /forgetme says what forgetting does
(and, to someone who pays, what they give up) under two buttons; both carry a token the
bot drew for this one question and keeps for ten minutes, so a forged, stale or repeated
press finds no token and changes nothing. Forgetting is the registry's
(``services.personal``): Telegram's steps for the real id first, then every part in one
transaction; the last message edits the question in place, so nothing is queued to them.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError

from bot.core.context import BotContext, Services
from bot.core.kernel import Cache, get_logger
from bot.core.people import N_, _

log = get_logger(__name__)

PREFIX = "forget:"
CONFIRM, CANCEL = "yes", "no"
QUESTION_TTL = timedelta(minutes=10)
TOKEN_BYTES = 12

PRIVATE_ONLY = N_("Ask me in a private chat: what I hold about you is for your eyes only.")
EXPLAIN = N_(
    "Forget me: I delete your profile (name, username, language, time zone), your settings, "
    "your tags and the messages waiting to be sent to you. Records others depend on (points "
    "in the ledger, a friend's reward for inviting you, a moderator's decisions, the day's "
    "figures) stay, but no longer name you. You cannot undo this; if you write /start again "
    "you start as a new user. Send /mydata first for a copy of your data."
)


def _token_key(user_id: int) -> str:
    return f"forget:{user_id}"


async def mydata(update: Update, context: BotContext) -> None:
    """Send the sender a JSON document of everything the bot holds about them."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None:
        return
    if chat.type != "private":
        await message.reply_text(_(PRIVATE_ONLY))
        return
    services = context.services
    every = services.settings.retention.mydata_every_minutes
    key = f"mydata:{user.id}"
    if await services.cache.get(key) is not None:
        text = _("You asked for your data a short while ago; ask again in {minutes} minutes.")
        await message.reply_text(text.format(minutes=every))
        return
    await services.cache.set(key, "1", ttl=every * 60)
    async with services.db.session() as session:
        parts = await services.personal.export(session, user.id)
    if not parts:
        await message.reply_text(_("I hold no data about you."))
        return
    document = {
        "user_id": user.id,
        "exported_at": services.clock.now().isoformat(),
        "parts": parts,
    }
    body = json.dumps(document, ensure_ascii=False, indent=1, default=str).encode()
    try:
        await message.reply_document(
            InputFile(body, filename=f"companion-mydata-{user.id}.json"),
            caption=_("Everything I hold about you, as of now."),
        )
    except TelegramError as exc:  # not counted against the limit: they may ask again
        await services.cache.delete(key)
        log.warning("personal data not sent", user_id=user.id, size=len(body), error=str(exc))
        text = _("Telegram did not take the file ({error}); please try again later.")
        await message.reply_text(text.format(error=exc))
        return
    log.info("personal data exported", user_id=user.id, size=len(body))


async def forgetme(update: Update, context: BotContext) -> None:
    """Explain what forgetting does and ask to confirm it (with what a payer gives up)."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None:
        return
    if chat.type != "private":
        await message.reply_text(_(PRIVATE_ONLY))
        return
    services = context.services
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await services.cache.set(_token_key(user.id), token, ttl=QUESTION_TTL.total_seconds())
    lines = [_(EXPLAIN)]
    given_up = await services.personal.warnings(user.id)
    if given_up:
        lines += ["", _("You are a paying subscriber. You give up:"), *given_up]
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Forget me"), callback_data=f"{PREFIX}{CONFIRM}:{token}"),
                InlineKeyboardButton(_("Cancel"), callback_data=f"{PREFIX}{CANCEL}:{token}"),
            ]
        ]
    )
    await message.reply_text("\n".join(lines), reply_markup=markup)


async def pressed(update: Update, context: BotContext) -> None:
    """``forget:yes:<token>`` forgets the presser, ``forget:no:<token>`` keeps everything,
    if the token is the one the last question drew (either press spends it)."""
    query = update.callback_query
    if query is None:
        return
    services, user_id = context.services, query.from_user.id
    action = (query.data or "").removeprefix(PREFIX)
    verb, _colon, token = action.partition(":")
    if verb not in (CONFIRM, CANCEL) or not await take_token(services.cache, user_id, token):
        await query.answer(_("This question has expired; send /forgetme again."), show_alert=True)
        return
    await query.answer()
    if verb == CANCEL:
        await query.edit_message_text(_("Nothing was deleted: I still know you."))
        return
    await forget(services, user_id)
    await query.edit_message_text(
        _("Done: I have forgotten you. Goodbye, and thank you for your time here.")
    )


async def take_token(cache: Cache, user_id: int, token: str) -> bool:
    """Whether ``token`` is the one the last /forgetme drew for ``user_id`` (then spent)."""
    key = _token_key(user_id)
    expected = await cache.get(key)
    if expected is None or not secrets.compare_digest(expected.encode(), token.encode()):
        return False
    await cache.delete(key)
    return True


async def forget(services: Services, user_id: int) -> int | None:
    """Forget ``user_id`` everywhere; the stand-in, or None if nothing named them."""
    async with services.db.session() as session:
        if not await services.personal.holds(session, user_id):
            return None
    await services.personal.prepare(user_id)
    async with services.uow() as uow:
        standing = await services.personal.forget(uow.session, user_id)
    log.info("user forgotten", parts=len(list(services.personal)))
    return standing
