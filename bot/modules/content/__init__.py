"""Content: scheduled channel posts (written by admins or imported from feeds)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import PaidMediaPurchasedHandler

from bot.core.context import Services
from bot.core.kernel import SERIAL_MAX, MessageDelivered, MessageKind, ascii_int, get_logger
from bot.core.module import Module, On, Routed
from bot.core.people import N_
from bot.core.telegram import Command, admin_commands
from bot.modules.content import feed_store, handlers, personal, service
from bot.modules.content.events import PostPublished
from bot.modules.content.jobs import JOBS
from bot.modules.content.settings import ContentSettings
from bot.modules.content.suggested import schedule_approved
from bot.modules.moderation.events import SubmissionApproved

log = get_logger(__name__)

COMMANDS = (
    Command(
        "post",
        N_("schedule a channel post (text, or a photo with this caption)"),
        N_("<now|+30m|+2h|+1d|2026-12-01T09:00> [paid:<stars>] <text>"),
        admin=True,
        callback=handlers.post,
        caption=True,
    ),
    *admin_commands(
        ("posts", N_("list the channel posts waiting to go out"), "", handlers.posts),
        ("cancelpost", N_("cancel a scheduled channel post"), N_("<id>"), handlers.cancelpost),
        (
            "pricepost",
            N_("make a scheduled post with a photo or video paid media"),
            N_("<id> <stars>"),
            handlers.pricepost,
        ),
    ),
)


def register(services: Services) -> Module:
    services.personal.add(personal.HOLDING)

    async def on_delivered(event: MessageDelivered) -> None:
        """Record Telegram's message id of a published post and announce it."""
        if event.kind is not MessageKind.POST:
            return
        post_id = ascii_int(event.subject, 1, SERIAL_MAX)
        if post_id is None:
            return
        async with services.uow() as uow:
            if await service.mark_published(uow.session, post_id, event.message_id):
                log.info("post published", post_id=post_id, message_id=event.message_id)
                await uow.publish(PostPublished(post_id, event.chat_id, event.message_id))

    async def on_approved(event: SubmissionApproved, session: AsyncSession) -> None:
        """An approved suggestion is scheduled in the approving transaction."""
        await schedule_approved(services, session, event)

    settings = services.settings.of(ContentSettings)
    return Module(
        "content",
        settings=ContentSettings,
        commands=COMMANDS,
        handlers=(Routed(PaidMediaPurchasedHandler(handlers.purchased)),),
        reactions=(
            On(MessageDelivered, on_delivered),
            On(SubmissionApproved, on_approved, in_transaction=True),
        ),
        jobs=JOBS,
        purgers={"content.seen_feed_items": feed_store.seen_purger(settings.feed_seen_days)},
    )


__all__ = ["register"]
