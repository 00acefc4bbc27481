"""Posts suggested in the channel's direct messages (Bot API 9.2 ``suggested_post_info``).

They enter the same review as /suggest; the decision is carried out by Telegram:
``approveSuggestedPost`` (with a send date: the next slot) or ``declineSuggestedPost``
(with the reason as comment), both through the outbox so a decision is never lost.
Telegram's service message ``suggested_post_approved`` then marks the submission
scheduled for its send date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.ext import filters

from bot.core.context import BotContext, Services
from bot.core.delivery import Category, Priority
from bot.core.kernel import get_logger
from bot.core.people import _
from bot.modules.moderation import drafts, service
from bot.modules.moderation.models import State, Submission
from bot.modules.moderation.settings import ModerationSettings

log = get_logger(__name__)


class _Suggested(filters.MessageFilter):
    """A suggested post in a direct-messages chat (not Telegram's service messages)."""

    __slots__ = ()

    def filter(self, message: Message) -> bool:
        return bool(message.chat.is_direct_messages and message.suggested_post_info)


class _Decided(filters.MessageFilter):
    __slots__ = ()

    def filter(self, message: Message) -> bool:
        return message.suggested_post_approved is not None


SUGGESTED, APPROVED = _Suggested(), _Decided()


def send_date(services: Services) -> datetime:
    """The start of the next slot of MODERATION__SLOT_MINUTES."""
    every = timedelta(minutes=services.settings.of(ModerationSettings).moderation.slot_minutes)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((services.clock.now() - epoch) // every + 1) * every


async def suggested(update: Update, context: BotContext) -> None:
    """A user suggested a post in the channel's direct messages: check it, then review."""
    message, services = update.effective_message, context.services
    if message is None or message.from_user is None:
        return
    origin = (message.chat_id, message.message_id)

    async def decline(session: AsyncSession, submission: Submission) -> None:
        await _decline(services, session, origin, submission.reason or "", submission.id)

    try:
        submission = await drafts.submit(
            services,
            message.from_user,
            drafts.draft_of(message),
            origin=origin,
            not_pending=decline,
        )
    except service.Refused as exc:
        async with services.db.session() as session:
            await _decline(services, session, origin, str(exc), None)
        return
    log.info("suggested post", submission_id=submission.id, state=submission.state)


async def carry_out(services: Services, session: AsyncSession, submission: Submission) -> None:
    """Queue Telegram's approve or decline of a decided direct-messages suggestion."""
    assert submission.dm_chat_id is not None and submission.dm_message_id is not None
    if submission.state == State.APPROVED:
        at = submission.publish_at or send_date(services)
        payload = {"message_id": submission.dm_message_id, "send_date": int(at.timestamp())}
        method = "approveSuggestedPost"
        await _decide(services, session, submission.id, submission.dm_chat_id, method, payload)
        return
    origin = (submission.dm_chat_id, submission.dm_message_id)
    reason = submission.reason or _("withdrawn by the author")
    await _decline(services, session, origin, reason, submission.id)


async def _decline(
    services: Services,
    session: AsyncSession,
    origin: tuple[int, int],
    reason: str,
    submission_id: int | None,
) -> None:
    ident = submission_id if submission_id is not None else f"{origin[0]}:{origin[1]}"
    payload = {"message_id": origin[1], "comment": reason[:128]}
    await _decide(services, session, ident, origin[0], "declineSuggestedPost", payload)


async def _decide(
    services: Services,
    session: AsyncSession,
    ident: int | str,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
) -> None:
    """Queue Telegram's approve or decline ``method``, once per suggestion ``ident``."""
    await services.outbox.enqueue(
        session,
        key=f"moderation:tg:{ident}",
        chat_id=chat_id,
        category=Category.POST,
        priority=Priority.POST,
        method=method,
        payload=payload,
    )


async def approved(update: Update, context: BotContext) -> None:
    """Telegram confirmed an approval: the submission is scheduled for its send date."""
    message, services = update.effective_message, context.services
    info = message.suggested_post_approved if message else None
    original = info.suggested_post_message if info else None
    if message is None or info is None or original is None:
        return
    async with services.uow() as uow:
        ident = await uow.session.scalar(
            select(Submission.id).where(
                Submission.dm_chat_id == message.chat_id,
                Submission.dm_message_id == original.message_id,
            )
        )
        if ident is not None:
            await service.mark_scheduled(uow, ident, None, info.send_date)
