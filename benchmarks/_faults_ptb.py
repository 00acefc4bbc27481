"""The baseline of the fault benchmark: a plain python-telegram-bot bot, as a typical bot is
written. ``AIORateLimiter(max_retries=3)``, a ``/help`` handler, and optionally a broadcast at
start-up: one ``asyncio.gather`` of ``send_message`` per user, skipping users who blocked it.
Nothing is persisted, so a crash forgets the broadcast.

``python -m benchmarks._faults_ptb BASE_URL FIRST_USER COUNT CONCURRENT_UPDATES``
(COUNT 0: no broadcast; CONCURRENT_UPDATES 1 is PTB's default, one update at a time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from telegram import Bot, Update
from telegram.error import Forbidden
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CommandHandler

from benchmarks._faults_kit import TEXT, TOKEN

HELP = "Commands you can use: /help"


async def _help(update: Update, _context: object) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(HELP)


async def _send(bot: Bot, chat_id: int) -> None:
    with contextlib.suppress(Forbidden):
        await bot.send_message(chat_id, TEXT)


async def _broadcast(bot: Bot, audience: range) -> None:
    await asyncio.gather(*(_send(bot, uid) for uid in audience), return_exceptions=True)


def main(argv: list[str]) -> None:
    base_url, first, count, concurrent = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    logging.getLogger("telegram").setLevel(logging.CRITICAL)  # a traceback per lost message
    tasks: set[asyncio.Task[None]] = set()

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        if count:
            tasks.add(asyncio.create_task(_broadcast(app.bot, range(first, first + count))))

    builder = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(concurrent)
        .post_init(post_init)
    )
    app = builder.build()
    app.add_handler(CommandHandler("help", _help))
    app.run_polling(poll_interval=0, timeout=1)


if __name__ == "__main__":
    main(sys.argv[1:])
