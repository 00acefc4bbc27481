"""A Telegram message offered as a submission: what it carries, and its way into review."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, User

from bot.core.context import Services
from bot.modules.moderation import cards, service
from bot.modules.moderation.checks import Draft
from bot.modules.moderation.models import State, Submission
from bot.modules.moderation.settings import ModerationSettings


def draft_of(message: Message, body: str | None = None) -> Draft:
    """The submission a message carries (``body``: its text, by default the message's text
    or caption); media is named by its Bot API type."""
    if body is None:
        body = message.text or message.caption or ""
    entities = (*message.entities, *message.caption_entities)
    links = any(entity.type in ("url", "text_link", "mention") for entity in entities)
    if message.photo:
        size = message.photo[-1]
        return Draft("photo", body, size.file_unique_id, size.file_id, links)
    attachment = message.effective_attachment
    if message.text is not None or attachment is None:
        return Draft("text", body, None, None, links)
    kind = "video" if message.video else type(attachment).__name__.lower()
    unique = getattr(attachment, "file_unique_id", None)
    return Draft(kind, body, unique, getattr(attachment, "file_id", None), links)


async def submit(
    services: Services,
    user: User,
    draft: Draft,
    *,
    origin: tuple[int, int] | None = None,
    not_pending: Callable[[AsyncSession, Submission], Awaitable[None]] | None = None,
) -> Submission:
    """Store ``user``'s submission and, in the same transaction, queue the reviewers' cards
    when it waits for review (else ``not_pending``, if given); :class:`service.Refused`
    stores nothing. ``origin``: see :func:`service.submit`."""
    async with services.uow() as uow:
        submission = await service.submit(
            uow,
            services.settings.of(ModerationSettings).moderation,
            author=service.Moderator(user.id, user.full_name),
            draft=draft,
            now=services.clock.now(),
            origin=origin,
        )
        if submission.state == State.PENDING:
            await cards.send_cards(services, uow.session, submission)
        elif not_pending is not None:
            await not_pending(uow.session, submission)
    return submission
