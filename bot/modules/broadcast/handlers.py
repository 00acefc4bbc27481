"""/broadcast <text>: queue an announcement to everyone, then show its progress in place;
/pausebroadcast, /resumebroadcast and /cancelbroadcast <id> steer it (``control.py``, as the
console does)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest

from bot.core.context import BotContext, Services
from bot.core.kernel import SERIAL_MAX, ascii_int, get_logger
from bot.core.people import N_, _, moment, ngettext, number
from bot.core.telegram import command_body
from bot.modules.broadcast import control, drafts, measure, scheduled, service
from bot.modules.broadcast.models import Broadcast

log = get_logger(__name__)
USAGE = N_(
    "Usage: /broadcast <text> — sends the text to every user who has not blocked the bot.\n"
    "To send it to some of them, put an audience on the first line and the text below it:\n"
    "/broadcast lang:uk vip:expired\n"
    "Your text"
)
EDIT_EVERY = 2.0  # seconds; Telegram allows about one edit per second in a chat


async def broadcast(update: Update, context: BotContext) -> None:
    """Count the audience, show the admin what its users will read, and ask before sending."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    audience_line, text = drafts.split(command_body(message))
    if not text:
        await message.reply_text(_(USAGE))
        return
    services = context.services
    try:
        drafted = await drafts.draft(services, user.id, text, audience_line)
    except drafts.AudienceError as exc:
        terms = services.audience.usage()
        title = _("Audience terms:")
        await message.reply_text(f"{exc}\n\n{title}\n{terms}")
        return
    log.info("broadcast drafted", draft_id=drafted.draft_id, reach=drafted.reach)
    texts = drafted.body.texts if drafted.body else (text,)
    markup = measure.preview_markup(drafted.body.buttons if drafted.body else ())
    for variant in texts:  # the previews, as a recipient reads them (their buttons inert)
        await context.bot.send_message(user.id, service.announcement(variant), reply_markup=markup)
    await message.reply_text(drafts.question(drafted), reply_markup=drafts.buttons(drafted))


async def pressed(update: Update, context: BotContext) -> None:
    """``bcast:go:<draft>`` sends the draft (once, whoever presses first), ``bcast:no:<draft>``
    drops it; the question turns into the broadcast's progress, edited in place."""
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    verb = data[: len(drafts.SEND)]
    draft_id = ascii_int(data[len(drafts.SEND) :], 1, SERIAL_MAX)
    if draft_id is None or verb not in (drafts.SEND, drafts.DROP):
        await query.answer(_("This button is no longer valid."))
        return
    services = context.services
    if verb == drafts.DROP:
        dropped = await drafts.drop(services, draft_id)
        await query.answer()
        if dropped:
            await query.edit_message_text(_("Not sent."))
        return
    try:
        queued = await drafts.send(services, draft_id)
    except drafts.AudienceError as exc:
        await query.answer(str(exc)[:200], show_alert=True)
        return
    if queued is None:
        await query.answer(_("Already sent or cancelled."))
        return
    log.info("broadcast queued", broadcast_id=queued.id, total=queued.total)
    if queued.schedule:
        await query.answer(_("Scheduled."))
        await _scheduled(services, query, queued)
        return
    await query.answer(_("Sending."))
    first = service.Progress(queued.total, 0, 0, broadcast_id=queued.id)
    status = query.message
    if not isinstance(status, Message):  # too old to edit: the progress comes as a new message
        status = await context.bot.send_message(query.from_user.id, first.render())
    else:
        await status.edit_text(first.render())
    application = context.application
    context.application.create_task(
        follow(services, queued, status, first.render(), lambda: application.running),
        name=f"broadcast-{queued.id}",
    )


async def _scheduled(services: Services, query: CallbackQuery, queued: Broadcast) -> None:
    """The question becomes what was planned: when, for how many, and how to stop it."""
    first = scheduled.first_due(queued, services)
    shown = moment(first, services.settings.tz) if first is not None else ""
    lines = [
        _("Broadcast #{id} scheduled: {when}").format(id=queued.id, when=queued.schedule),
        ngettext("{n} user", "{n} users", queued.total).format(n=number(queued.total)),
    ]
    if shown:
        lines.append(_("First copies due: {at}").format(at=shown))
    lines.append(f"/cancelbroadcast {queued.id}")
    text = "\n".join(lines)
    if isinstance(query.message, Message):
        await query.message.edit_text(text)
    else:
        await services.bot.send_message(query.from_user.id, text)


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


Action = Callable[[Services, int, int], Awaitable[control.Changed]]


async def pausebroadcast(update: Update, context: BotContext) -> None:
    """Hold a broadcast's waiting messages until /resumebroadcast."""
    await _steer(update, context, "pausebroadcast", control.pause)


async def resumebroadcast(update: Update, context: BotContext) -> None:
    """Send a paused broadcast's messages again."""
    await _steer(update, context, "resumebroadcast", control.resume)


async def cancelbroadcast(update: Update, context: BotContext) -> None:
    """Stop a broadcast for good: its waiting messages are never sent."""
    await _steer(update, context, "cancelbroadcast", control.cancel)


async def _steer(update: Update, context: BotContext, verb: str, action: Action) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    words = context.args or []
    broadcast_id = ascii_int(words[0], 1, SERIAL_MAX) if len(words) == 1 else None
    if broadcast_id is None:
        usage = _("Usage: /{command} <id> — the number shown under the broadcast's progress.")
        await message.reply_text(usage.format(command=verb))
        return
    try:
        changed = await action(context.services, broadcast_id, user.id)
    except control.Unknown:
        await message.reply_text(_("No broadcast #{id}.").format(id=broadcast_id))
        return
    except control.NotNow as exc:
        await message.reply_text(str(exc))
        return
    await message.reply_text(changed.tally.progress(broadcast_id).render())
