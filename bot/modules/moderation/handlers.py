"""Thin PTB callbacks of the authors: /suggest (and the message after it), /mysuggestions,
/withdraw and its button. The moderators' side is in ``review.py``."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.core.context import BotContext, Services
from bot.core.kernel import get_logger
from bot.core.people import N_, _
from bot.core.telegram import command_body
from bot.core.telegram import preview as text_preview
from bot.modules.moderation import cards, direct, drafts, ids, service
from bot.modules.moderation.checks import Draft
from bot.modules.moderation.models import State

log = get_logger(__name__)

AWAIT_TTL = 600.0
WITHDRAW_PREFIX = ids.WITHDRAW_PREFIX
WITHDRAW_USAGE = N_("Usage: /withdraw <id> (see /mysuggestions)")
SUGGEST_HELP = N_(
    "Send the post now: a text, or a photo or video with a caption. "
    "(Or in one go: /suggest <text>.)"
)


def _awaiting(user_id: int) -> str:
    return f"moderation:awaiting:{user_id}"


async def suggest(update: Update, context: BotContext) -> None:
    """/suggest <text> (or as a caption) submits; a bare /suggest waits for the next message."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    body = command_body(message)
    if message.text is not None and not body:
        await context.cache.set(_awaiting(user.id), "1", ttl=AWAIT_TTL)
        await message.reply_text(_(SUGGEST_HELP))
        return
    await _submit(context.services, message, drafts.draft_of(message, body))


async def edited(update: Update, context: BotContext) -> None:
    """An edit of a /suggest message changes nothing: what was sent is what is reviewed."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(
            _(
                "Edits do not change a suggestion: the text as first sent is what is reviewed "
                "and published. Withdraw it (/mysuggestions) and suggest again to change it."
            )
        )


async def follow_up(update: Update, context: BotContext) -> None:
    """The message after a bare /suggest; any other message passes by untouched."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    cache = context.cache
    if await cache.get(_awaiting(user.id)) is None:
        return
    await cache.delete(_awaiting(user.id))
    await _submit(context.services, message, drafts.draft_of(message))
    raise ApplicationHandlerStop


async def _submit(services: Services, message: Message, draft: Draft) -> None:
    if message.from_user is None:
        return
    try:
        submission = await drafts.submit(services, message.from_user, draft)
    except service.Refused as exc:
        await message.reply_text(_("Not accepted: {reason}. Nothing was saved.").format(reason=exc))
        return
    log.info("submission", submission_id=submission.id, state=submission.state)
    if submission.state == State.AUTO_REJECTED:
        text = _("Suggestion #{id} was not accepted: {reason}.")
    else:
        text = _(
            "Thanks! Suggestion #{id} waits for review; you will be told the decision. "
            "/mysuggestions lists yours."
        )
    await message.reply_text(text.format(id=submission.id, reason=submission.reason))


async def mysuggestions(update: Update, context: BotContext) -> None:
    """The author's latest submissions, with a Withdraw button for each pending one."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.db.session() as session:
        mine = await service.of_author(session, user.id)
    if not mine:
        await message.reply_text(_("You have not suggested anything yet. Try /suggest <text>."))
        return
    lines, buttons = [_("Your suggestions:")], []
    for item in mine:
        preview = f": {text_preview(item.text, 50)}" if item.text else ""  # a refusal keeps none
        reason = f" ({cards.reason_text(item.reason)})" if item.reason else ""
        lines.append(f"#{item.id} {cards.state_word(item.state)}{reason}{preview}")
        if item.state == State.PENDING:
            label = _("Withdraw #{id}").format(id=item.id)
            buttons.append([{"text": label, "callback_data": f"{WITHDRAW_PREFIX}{item.id}"}])
    markup = {"inline_keyboard": buttons} if buttons else None
    await message.reply_text("\n".join(lines), reply_markup=markup)  # type: ignore[arg-type]


async def withdraw(update: Update, context: BotContext) -> None:
    """/withdraw <id>."""
    message, user, args = update.effective_message, update.effective_user, context.args or []
    if message is None or user is None:
        return
    submission_id = ids.submission_id(args[0]) if len(args) == 1 else None
    if submission_id is None:
        await message.reply_text(_(WITHDRAW_USAGE))
        return
    await message.reply_text(await _withdraw(context.services, submission_id, user.id))


async def withdraw_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    submission_id = ids.withdraw_press(query.data)
    if submission_id is None:
        await query.answer(_("Unknown button."))
        return
    await query.answer(await _withdraw(context.services, submission_id, query.from_user.id))


async def _withdraw(services: Services, submission_id: int, author_id: int) -> str:
    async with services.uow() as uow:
        outcome = await service.withdraw(uow, submission_id, author_id, services.clock.now())
        if outcome.won and outcome.submission is not None:
            await cards.show_decision(services, uow.session, outcome.submission)
            if outcome.submission.dm_chat_id is not None:
                await direct.carry_out(services, uow.session, outcome.submission)
    if outcome.submission is None:
        return _("You have no suggestion #{id}.").format(id=submission_id)
    if outcome.won:
        return _("Suggestion #{id} is withdrawn.").format(id=submission_id)
    state = cards.state_word(outcome.submission.state)
    text = _("Suggestion #{id} is already {state}; it cannot be withdrawn.")
    return text.format(id=submission_id, state=state)
