"""Moderation: users suggest channel posts, automatic checks first, moderators decide in chat
or on the console's Moderation page."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import MessageHandler, filters

from bot.core.context import Services
from bot.core.kernel import MessageDelivered, MessageKind, Settings, UnitOfWork, local_time
from bot.core.module import Module, On, Routed, Stage
from bot.core.people import N_, _, zone_for
from bot.core.telegram import (
    NEW_MESSAGE,
    OWNER,
    PRIVATE_NEW_MESSAGE,
    Button,
    admin_commands,
    staff,
    user_commands,
)
from bot.modules.content.events import PostCancelled, PostPublished, PostScheduled
from bot.modules.moderation import (
    cards,
    direct,
    handlers,
    ids,
    personal,
    records,
    review,
    service,
)
from bot.modules.moderation.jobs import JOBS
from bot.modules.moderation.pages import CONSOLE
from bot.modules.moderation.settings import ModerationSettings

MODERATORS_ONLY = N_("Sorry, this command is for moderators only.")


def _moderator(settings: Settings, user_id: int) -> bool:
    return user_id in settings.of(ModerationSettings).moderators


def _usable(settings: Settings) -> bool:
    """Suggestions lead somewhere: a channel to publish in and someone to review them."""
    moderation = settings.of(ModerationSettings)
    return settings.channel_id is not None and bool(
        moderation.moderation_chat_id is not None or moderation.moderators
    )


# What /help and the menu say of each command (English; translated where shown).
ABOUT_SUGGEST = N_("suggest a channel post (text, or a photo/video with this caption)")
ABOUT_MINE = N_("your suggestions and their state")
ABOUT_WITHDRAW = N_("withdraw a suggestion still waiting for review")
ABOUT_QUEUE = N_("suggestions waiting for review, oldest first (moderators)")
ABOUT_APPROVE = N_("approve a suggestion for a time (moderators)")
COMMANDS = (
    *user_commands(
        ("suggest", ABOUT_SUGGEST, N_("<text>"), handlers.suggest),
        ("mysuggestions", ABOUT_MINE, "", handlers.mysuggestions),
        ("withdraw", ABOUT_WITHDRAW, N_("<id>"), handlers.withdraw),
        private=True,
        available=_usable,
    ),
    *admin_commands(
        ("modqueue", ABOUT_QUEUE, "", review.modqueue),
        ("approve", ABOUT_APPROVE, N_("<id> [+2h|<time>]"), review.approve),
        staff=_moderator,
        refusal=MODERATORS_ONLY,
    ),
)
_SUGGEST = re.compile(r"^/suggest(@\w+)?(\s|$)", re.IGNORECASE)  # /SUGGEST too, as PTB
_CAPTION = filters.CaptionRegex(_SUGGEST)


def register(services: Services) -> Module:
    services.personal.add(personal.HOLDING)
    retention = services.settings.of(ModerationSettings).moderation.retention_days
    return Module(
        "moderation",
        settings=ModerationSettings,
        commands=COMMANDS,
        buttons=(
            # a review card: moderators, in their private chat or the moderators' group
            Button(
                "mod:",
                review.card_pressed,
                guard=staff(
                    _moderator,
                    rooms=lambda s: (s.of(ModerationSettings).moderation_chat_id,),
                    refusal=N_("Only moderators can decide suggestions."),
                ),
            ),
            Button("modw:", handlers.withdraw_pressed, guard=OWNER),  # /mysuggestions
        ),
        handlers=_handlers(),
        reactions=_reactions(services),
        jobs=JOBS,
        purgers={"moderation.submissions": records.purger(retention)},
        stats=(records.day_figures,),
        figures=records.FIGURES,
        console=CONSOLE,
    )


def _handlers() -> tuple[Routed, ...]:
    private = PRIVATE_NEW_MESSAGE
    media = (filters.PHOTO | filters.VIDEO) & _CAPTION & private
    edited = filters.UpdateType.EDITED_MESSAGE & (filters.Regex(_SUGGEST) | _CAPTION)
    replies = filters.REPLY & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
    return (
        # /suggest as the caption of a photo or video; an edited /suggest is answered
        Routed(MessageHandler(media, handlers.suggest)),
        Routed(MessageHandler(edited, handlers.edited)),
        # posts suggested in the channel's direct messages (an edit is not a second one),
        # and Telegram's confirmation
        Routed(MessageHandler(direct.SUGGESTED & NEW_MESSAGE, direct.suggested)),
        Routed(MessageHandler(direct.APPROVED, direct.approved)),
        # replies to cards, the message after a bare /suggest
        Routed(MessageHandler(replies, review.reply_reason), stage=Stage.REPLIES),
        Routed(
            MessageHandler(private & ~filters.COMMAND, handlers.follow_up),
            stage=Stage.FOLLOW_UPS,
        ),
    )


def _reactions(services: Services) -> tuple[On[Any], ...]:
    async def on_delivered(event: MessageDelivered) -> None:
        """Remember where a review card landed, to edit it when decided."""
        if event.kind is MessageKind.REVIEW_CARD:
            async with services.db.session() as session:
                await cards.card_delivered(
                    services, session, event.key, event.chat_id, event.message_id
                )

    async def on_scheduled(event: PostScheduled, session: AsyncSession) -> None:
        """Approved -> scheduled in the approving transaction; the author gets the time."""
        ident = ids.submission_id(event.source_item_id)
        if event.source != "moderation" or ident is None:
            return
        submission = await service.mark_scheduled(
            UnitOfWork.of(session), ident, event.post_id, event.publish_at
        )
        if submission is not None:
            zone = await zone_for(session, submission.author_id, services.settings.tz)
            at = event.publish_at
            await cards.tell_author(
                services,
                session,
                submission,
                lambda: _("Your suggestion #{id} was approved; it will appear at {when}.").format(
                    id=submission.id, when=local_time(at, zone)
                ),
            )

    async def on_cancelled(event: PostCancelled, session: AsyncSession) -> None:
        """/cancelpost of a suggestion's post: it ends rejected and the author is told."""
        ident = ids.submission_id(event.source_item_id)
        if event.source != "moderation" or ident is None:
            return
        submission = await service.mark_cancelled(UnitOfWork.of(session), ident, event.post_id)
        if submission is not None:
            await cards.tell_author(
                services,
                session,
                submission,
                lambda: _("Your suggestion #{id} will not appear after all: {reason}.").format(
                    id=submission.id, reason=cards.reason_text(submission.reason)
                ),
            )

    async def on_published(event: PostPublished) -> None:
        async with services.uow() as uow:
            submission = await service.mark_published(
                uow, event.post_id, event.chat_id, event.message_id
            )
            if submission is not None:
                link = cards.post_link(event.chat_id, event.message_id)
                await cards.tell_author(
                    services,
                    uow.session,
                    submission,
                    lambda: _("Your suggestion #{id} is in the channel: {link}").format(
                        id=submission.id, link=link
                    ),
                )

    return (
        On(MessageDelivered, on_delivered),
        On(PostScheduled, on_scheduled, in_transaction=True),
        On(PostCancelled, on_cancelled, in_transaction=True),
        On(PostPublished, on_published),
    )


__all__ = ["register"]
