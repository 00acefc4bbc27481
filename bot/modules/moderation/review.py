"""The moderators' side: card buttons, a reply to a card as a free-text reason, /modqueue."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.core.context import BotContext, Services
from bot.core.kernel import get_logger
from bot.core.people import N_, _, shown_name
from bot.core.telegram import preview as text_preview
from bot.modules.moderation import cards, decisions, ids, service, timing
from bot.modules.moderation.settings import ModerationSettings

log = get_logger(__name__)

QUEUE_BUTTONS = 10  # /modqueue: Approve and Reject buttons for the oldest this many
MAX_REASON = 300
APPROVE_USAGE = N_(
    "Usage: /approve <id> [when] — when is +30m, +2h, +1d or a local time like "
    "2026-12-01T09:00, at most 30 days ahead; without it, the next free slot."
)


def _is_moderator(services: Services, user_id: int | None) -> bool:
    return user_id is not None and user_id in services.settings.of(ModerationSettings).moderators


async def card_pressed(update: Update, context: BotContext) -> None:
    """Approve / Reject <reason> / Ban: the first decision wins, later presses are told who."""
    query, services = update.callback_query, context.services
    if query is None or query.from_user is None:
        return
    if not _is_moderator(services, query.from_user.id):
        log.warning("moderation button refused", user_id=query.from_user.id, data=query.data)
        await query.answer(_("Only moderators can decide suggestions."), show_alert=True)
        return
    reasons = services.settings.of(ModerationSettings).moderation.reject_reasons
    pressed = ids.card_press(query.data, len(reasons))
    if pressed is None:
        await query.answer(_("Unknown button."))
        return
    reason = reasons[pressed.reason] if pressed.reason is not None else ""
    by = service.Moderator(query.from_user.id, query.from_user.full_name)
    await query.answer(await decide(services, pressed.submission_id, pressed.action, by, reason))


async def decide(
    services: Services,
    submission_id: int,
    action: str,
    by: service.Moderator,
    reason: str,
    publish_at: datetime | None = None,
) -> str:
    """Carry out one decision (:func:`decisions.decide`, as the console does); the answer
    for the moderator who asked for it."""
    decided = await decisions.decide(services, submission_id, action, by, reason, publish_at)
    return decided.answer()


async def reply_reason(update: Update, context: BotContext) -> None:
    """A moderator's reply to a card rejects with the reply's text as the reason."""
    message, services = update.effective_message, context.services
    if message is None or message.reply_to_message is None or message.from_user is None:
        return
    submission_id = await _card_submission(services, message.reply_to_message, context.bot.id)
    if submission_id is None:
        return  # a reply to something else: not ours
    if not _is_moderator(services, message.from_user.id):
        raise ApplicationHandlerStop
    reason = (message.text or "").strip()
    if not reason or len(reason) > MAX_REASON:
        text = _("A reason needs 1 to {max} characters; nothing changed.")
        await message.reply_text(text.format(max=MAX_REASON))
        raise ApplicationHandlerStop
    by = service.Moderator(message.from_user.id, message.from_user.full_name)
    await message.reply_text(await decide(services, submission_id, "r", by, reason))
    raise ApplicationHandlerStop


async def _card_submission(services: Services, replied: Message, bot_id: int) -> int | None:
    """The submission of the card replied to: its recorded card, or (if its delivery is not
    recorded yet) the id at the head of a card the bot sent to a reviewers' chat."""
    async with services.db.session() as session:
        card = await cards.card_at(session, replied.chat_id, replied.message_id)
    if card is not None:
        return card.submission_id
    from_bot = replied.from_user is not None and replied.from_user.id == bot_id
    if from_bot and replied.chat_id in cards.reviewers(services):
        return ids.card_head(replied.text)
    return None


async def approve(update: Update, context: BotContext) -> None:
    """/approve <id> [+30m|+2h|+1d|2026-12-01T09:00]: approve for a chosen time (moderators)."""
    message, services, user = update.effective_message, context.services, update.effective_user
    if message is None or user is None:
        return
    if not _is_moderator(services, user.id):
        await message.reply_text(_("Sorry, /approve is for moderators only."))
        return
    args = context.args or []
    submission_id = ids.submission_id(args[0]) if 1 <= len(args) <= 2 else None
    if submission_id is None:
        await message.reply_text(_(APPROVE_USAGE))
        return
    try:
        when = (
            timing.parse(args[1], services.clock.now(), services.settings.tz)
            if len(args) == 2
            else None
        )
    except ValueError as exc:
        await message.reply_text(_("Nothing changed: {reason}.").format(reason=exc))
        return
    by = service.Moderator(user.id, user.full_name)
    await message.reply_text(await decide(services, submission_id, "a", by, "", when))


async def modqueue(update: Update, context: BotContext) -> None:
    """/modqueue: what waits for review, oldest first (moderators only)."""
    message, services = update.effective_message, context.services
    user = update.effective_user
    if message is None:
        return
    if not _is_moderator(services, user.id if user else None):
        await message.reply_text(_("Sorry, /modqueue is for moderators only."))
        return
    async with services.db.session() as session:
        queue = await service.waiting(session)
    if not queue:
        await message.reply_text(_("Nothing waits for review."))
        return
    lines = [_("Waiting for review (oldest first):")]
    for item in queue:
        preview = text_preview(item.text, 60)
        since = cards.local(services, item.created_at)
        line = _("#{id} since {since} from {author}: {preview}")
        author = shown_name(item.author_name)
        lines.append(line.format(id=item.id, since=since, author=author, preview=preview))
    reason = services.settings.of(ModerationSettings).moderation.reject_reasons[0]
    rows = [  # the same decisions as on the cards, for the oldest few
        [
            InlineKeyboardButton(f"✅ #{item.id}", callback_data=f"{cards.PREFIX}:a:{item.id}"),
            InlineKeyboardButton(
                f"❌ #{item.id} {cards.reason_text(reason)}",
                callback_data=f"{cards.PREFIX}:r:{item.id}:0",
            ),
        ]
        for item in queue[:QUEUE_BUTTONS]
    ]
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
