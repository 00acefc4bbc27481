"""/broadcast <text>: queue an announcement to everyone, then show its progress in place."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from telegram import Message, Update
from telegram.error import BadRequest

from bot.core.context import BotContext, Services
from bot.core.kernel import get_logger
from bot.core.people import N_, _
from bot.core.telegram import command_body
from bot.modules.broadcast import service
from bot.modules.broadcast.models import Broadcast

log = get_logger(__name__)
USAGE = N_("Usage: /broadcast <text> — sends the text to every user who has not blocked the bot.")
EDIT_EVERY = 2.0  # seconds; Telegram allows about one edit per second in a chat


async def broadcast(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    text = command_body(message)
    if not text:
        await message.reply_text(_(USAGE))
        return
    services = context.services
    async with services.db.session() as session:
        queued = await service.queue_broadcast(
            session, text=text, admin_id=update.effective_user.id, now=services.clock.now()
        )
    log.info("broadcast queued", broadcast_id=queued.id, total=queued.total)
    first = service.Progress(queued.total, 0, 0)
    status = await message.reply_text(first.render())
    application = context.application
    context.application.create_task(
        follow(services, queued, status, first.render(), lambda: application.running),
        name=f"broadcast-{queued.id}",
    )


async def follow(
    services: Services,
    broadcast: Broadcast,
    status: Message,
    shown: str,
    running: Callable[[], bool] = lambda: True,
) -> None:
    """Edit the progress message every ``EDIT_EVERY`` seconds, only when it changed.

    It stops when the broadcast is done or the application stops (PTB awaits this task
    on stop, and a broadcast held by quiet hours may take hours; the outbox carries on
    after a restart, only the live progress message stops)."""
    while running():
        try:
            async with services.db.session() as session:
                now = await service.progress(session, broadcast)
        except Exception as exc:  # a database blip: the broadcast goes on, so does this
            log.warning("broadcast progress not read; will retry", error=str(exc)[:200])
            await asyncio.sleep(EDIT_EVERY)
            continue
        text = now.render()
        if text != shown:
            try:
                await status.edit_text(text)
                shown = text
            except BadRequest as exc:
                log.warning("broadcast progress not edited", error=exc.message)
        if now.done:
            return
        await asyncio.sleep(EDIT_EVERY)
