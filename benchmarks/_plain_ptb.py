"""The baseline of ``benchmarks.lean``: a plain python-telegram-bot bot, one handler, long
polling; started the same way as the bot (``python -m benchmarks._plain_ptb``, the token and
the Bot API's address in the environment)."""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text("hello")


def main() -> None:
    app = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.run_polling()


if __name__ == "__main__":
    main()
