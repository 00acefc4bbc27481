"""The baseline of ``benchmarks.updates``: a plain python-telegram-bot bot answering the same
updates as the bot without a database. ``/balance`` replies with a fixed text, ``/mission``
with a fixed text and a Done button, and a press of that button is answered and the message
edited (what the bot's Done button does). Long polling, updates handled 64 at a time as the
bot handles them; started like the bot (``python -m benchmarks._plain_ptb_updates``, the token
and the Bot API's address in the environment)."""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

BALANCE = "💰 Points: 120\n🔥 Streak: 3 days\n\nLast transactions:\n7 Dec +10 mission"
MISSION = "🎯 Today's mission: drink a glass of water.\nPress Done when it is done."
DONE = "✅ Done: drink a glass of water. +10 points.\nStreak: 4 days in a row."
CONCURRENT = 64  # the bot's own bound (bot/app.py)


async def _balance(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(BALANCE)


async def _mission(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        button = InlineKeyboardButton("✅ Done", callback_data="mission:done:1")
        await update.effective_message.reply_text(
            MISSION, reply_markup=InlineKeyboardMarkup([[button]])
        )


async def _done(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    if query.message is not None and getattr(query.message, "text", None) == DONE:
        await query.answer("Already done. Come back tomorrow.")
        return
    await query.answer("+10 points!")
    await query.edit_message_text(DONE)


def main() -> None:
    app = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(CONCURRENT)
        .build()
    )
    app.add_handler(CommandHandler("balance", _balance))
    app.add_handler(CommandHandler("mission", _mission))
    app.add_handler(CallbackQueryHandler(_done, pattern="^mission:done:"))
    app.run_polling()


if __name__ == "__main__":
    main()
