"""Content: scheduled channel posts (written by admins or imported from feeds)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.core.events import MessageDelivered
from bot.core.logging import get_logger
from bot.modules.content import handlers, service
from bot.modules.content.events import PostPublished
from bot.modules.content.jobs import JOBS
from bot.modules.content.suggested import schedule_approved
from bot.modules.moderation.events import SubmissionApproved

log = get_logger(__name__)

COMMANDS = (
    Command("post", "schedule a channel post (text, or a photo with this caption)",
            "<now|+30m|+2h|+1d|2026-12-01T09:00> <text>", admin=True),
    Command("posts", "list the channel posts waiting to go out", admin=True),
    Command("cancelpost", "cancel a scheduled channel post", "<id>", admin=True),
)  # fmt: skip


def register(app: App, services: Services) -> None:
    for command in COMMANDS:
        services.commands.add(command)
    for spec in JOBS:
        services.jobs.add(spec)
    app.add_handler(CommandHandler("post", handlers.post))
    app.add_handler(
        MessageHandler(filters.PHOTO & filters.CaptionRegex(r"^/post(@\w+)?(\s|$)"), handlers.post)
    )
    app.add_handler(CommandHandler("posts", handlers.posts))
    app.add_handler(CommandHandler("cancelpost", handlers.cancelpost))

    async def on_delivered(event: MessageDelivered) -> None:
        """Record Telegram's message id of a published post and announce it."""
        kind, _, ident = event.key.partition(":")
        if kind != "post" or not ident.isdigit():
            return
        async with services.db.session() as session:
            changed = await service.mark_published(session, int(ident), event.message_id)
        if changed:
            log.info("post published", post_id=int(ident), message_id=event.message_id)
            await services.bus.publish(PostPublished(int(ident), event.chat_id, event.message_id))

    services.bus.subscribe(MessageDelivered, on_delivered)

    async def on_approved(event: SubmissionApproved, session: AsyncSession) -> None:
        """An approved suggestion is scheduled in the approving transaction."""
        await schedule_approved(services, session, event)

    services.bus.subscribe_in_transaction(SubmissionApproved, on_approved)


__all__ = ["register"]
