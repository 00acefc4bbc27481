"""Content: scheduled channel posts (written by admins or imported from feeds)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.kernel.events import MessageDelivered
from bot.core.kernel.logging import get_logger
from bot.core.kernel.parse import SERIAL_MAX, ascii_int
from bot.core.module import Module
from bot.core.people.i18n import N_
from bot.core.telegram.commands import Command
from bot.modules.content import handlers, service
from bot.modules.content.events import PostPublished
from bot.modules.content.jobs import JOBS
from bot.modules.content.suggested import schedule_approved
from bot.modules.moderation.events import SubmissionApproved

log = get_logger(__name__)

COMMANDS = (
    Command(
        "post",
        N_("schedule a channel post (text, or a photo with this caption)"),
        N_("<now|+30m|+2h|+1d|2026-12-01T09:00> <text>"),
        admin=True,
        callback=handlers.post,
        caption=True,
    ),
    Command(
        "posts", N_("list the channel posts waiting to go out"), admin=True, callback=handlers.posts
    ),
    Command(
        "cancelpost",
        N_("cancel a scheduled channel post"),
        N_("<id>"),
        admin=True,
        callback=handlers.cancelpost,
    ),
)


def register(services: Services) -> Module:
    async def on_delivered(event: MessageDelivered) -> None:
        """Record Telegram's message id of a published post and announce it."""
        kind, _, ident = event.key.partition(":")
        post_id = ascii_int(ident, 1, SERIAL_MAX) if kind == "post" else None
        if post_id is None:
            return
        async with services.db.session() as session:
            changed = await service.mark_published(session, post_id, event.message_id)
        if changed:
            log.info("post published", post_id=post_id, message_id=event.message_id)
            await services.bus.publish(PostPublished(post_id, event.chat_id, event.message_id))

    services.bus.subscribe(MessageDelivered, on_delivered)

    async def on_approved(event: SubmissionApproved, session: AsyncSession) -> None:
        """An approved suggestion is scheduled in the approving transaction."""
        await schedule_approved(services, session, event)

    services.bus.subscribe_in_transaction(SubmissionApproved, on_approved)
    return Module("content", commands=COMMANDS, jobs=JOBS)


__all__ = ["register"]
