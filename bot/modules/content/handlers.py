"""Thin PTB callbacks: /post (text or photo caption), /posts, /cancelpost, and delivery receipts."""

from __future__ import annotations

from datetime import datetime

from telegram import Message, Update

from bot.core.context import BotContext, Services
from bot.core.kernel import SERIAL_MAX, ascii_int, get_logger, local_time
from bot.core.people import N_, _, ngettext
from bot.core.telegram import command_body
from bot.core.telegram import preview as text_preview
from bot.modules.content import service
from bot.modules.content.events import PostCancelled
from bot.modules.content.jobs import queue_due

log = get_logger(__name__)

POST_USAGE = N_(
    "Usage: /post <when> <text> — when is now, +30m, +2h, +1d or a local time like "
    "2026-12-01T09:00. Send a photo with the same command as its caption to post a photo."
)
PAID_USAGE = N_(
    "Usage: /post <when> paid:<stars> <text>, sent as the caption of a photo: a paid post "
    "needs a photo, and costs 1 to 10000 Stars."
)
STATUSES = {
    "scheduled": N_("scheduled"),
    "queued": N_("queued"),
    "published": N_("published"),
    "cancelled": N_("cancelled"),
    "seen": N_("seen"),
}


async def post(update: Update, context: BotContext) -> None:
    """Schedule a channel post; ``now`` queues it at once."""
    message = update.effective_message
    if message is None:
        return
    photo = message.photo[-1].file_id if message.photo else None
    # The time and the text are apart by any whitespace: a space or a new line.
    when_text, *rest = command_body(message).split(None, 1) or [""]
    body = rest[0] if rest else ""
    if not when_text:
        await message.reply_text(_(POST_USAGE))
        return
    services = context.services
    if services.settings.channel_id is None:
        await message.reply_text(_("Nothing scheduled: CHANNEL_ID is not set."))
        return
    try:
        now = services.clock.now()
        publish_at = service.parse_when(when_text, now, services.settings.tz)
        stars, body = service.paid_price(body)
        text = service.check_body(body, photo=photo is not None)
    except service.PostError as exc:
        await message.reply_text(_("Nothing scheduled: {reason}.").format(reason=exc))
        return
    if stars is not None and photo is None:
        await message.reply_text(_(PAID_USAGE))
        return
    await _schedule(services, message, text=text, photo=photo, publish_at=publish_at, stars=stars)


async def _schedule(
    services: Services,
    message: Message,
    *,
    text: str,
    photo: str | None,
    publish_at: datetime,
    stars: int | None = None,
) -> None:
    now = services.clock.now()
    async with services.db.session() as session:
        created = await service.create(
            session, text=text, photo=photo, publish_at=publish_at, now=now, stars=stars
        )
        post_id = created.id
    log.info("post scheduled", post_id=post_id, publish_at=publish_at.isoformat())
    if publish_at <= now:
        await queue_due(services)
        await message.reply_text(_("Post #{id} is on its way to the channel.").format(id=post_id))
        return
    when = local_time(publish_at, services.settings.tz)
    await message.reply_text(_("Post #{id} scheduled for {when}.").format(id=post_id, when=when))


async def posts(update: Update, context: BotContext) -> None:
    """List scheduled and queued posts."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    async with services.db.session() as session:
        queue = await service.pending(session)
        paid = await service.paid_posts(session)
    tz = services.settings.tz
    lines = [_("Waiting posts:")] if queue else [_("No posts are waiting.")]
    for item in queue:
        preview = text_preview(item.text or _("(photo)"), 60)
        kind = " [" + _("photo") + "]" if item.photo else ""
        when = local_time(item.publish_at, tz)
        status = _(STATUSES.get(item.status, item.status))
        lines.append(f"#{item.id} {when} {status}{kind} ({item.source}): {preview}")
    if paid:
        lines += ["", _("Paid posts (price, purchases):")]
    for item, bought in paid:
        status = _(STATUSES.get(item.status, item.status))
        price = ngettext("{count} Star", "{count} Stars", item.stars or 0)
        sold = ngettext("{count} purchase", "{count} purchases", bought)
        lines.append(
            f"#{item.id} {status}: {price.format(count=item.stars)}, {sold.format(count=bought)}"
        )
    await message.reply_text("\n".join(lines))


async def purchased(update: Update, context: BotContext) -> None:
    """A user bought a paid post: stored once per (user, payload)."""
    bought = update.purchased_paid_media
    if bought is None:
        return
    services = context.services
    async with services.db.session() as session:
        new = await service.record_purchase(
            session,
            user_id=bought.from_user.id,
            payload=bought.paid_media_payload,
            now=services.clock.now(),
        )
    log.info("paid media purchased", payload=bought.paid_media_payload, new=new)


async def cancelpost(update: Update, context: BotContext) -> None:
    """Cancel a scheduled post by id."""
    message, args = update.effective_message, context.args or []
    if message is None:
        return
    post_id = ascii_int(args[0], 1, SERIAL_MAX) if len(args) == 1 else None
    if post_id is None:
        await message.reply_text(_("Usage: /cancelpost <id> (see /posts)"))
        return
    async with context.uow() as uow:
        found = await service.cancel(uow.session, post_id)
        if found is not None and found.status == "cancelled":
            cancelled = PostCancelled(found.id, found.source, found.source_item_id or "")
            await uow.publish(cancelled)
    if found is None:
        text = _("There is no post #{id}.").format(id=post_id)
    elif found.status == "cancelled":
        text = _("Post #{id} is cancelled.").format(id=found.id)
    else:
        text = _("Post #{id} is already {status}; it cannot be cancelled.").format(
            id=found.id, status=_(STATUSES.get(found.status, found.status))
        )
    await message.reply_text(text)


async def pricepost(update: Update, context: BotContext) -> None:
    """Put a Stars price on a scheduled post with a photo or video (an approved suggestion,
    or a /post written earlier): it goes out as paid media."""
    message, args = update.effective_message, context.args or []
    if message is None:
        return
    post_id = ascii_int(args[0], 1, SERIAL_MAX) if len(args) == 2 else None
    stars = ascii_int(args[1], 1, service.MAX_STARS) if len(args) == 2 else None
    if post_id is None or stars is None:
        await message.reply_text(_("Usage: /pricepost <id> <stars> (1 to 10000; see /posts)"))
        return
    async with context.services.db.session() as session:
        found = await service.set_price(session, post_id, stars)
    if found is None:
        text = _("There is no post #{id}.").format(id=post_id)
    elif found.stars == stars and found.status == "scheduled":
        text = _("Post #{id} will go out as paid media for {stars} Stars.").format(
            id=post_id, stars=stars
        )
    else:
        text = _("Post #{id} cannot be paid: only a scheduled post with a photo or video can.")
        text = text.format(id=post_id)
    await message.reply_text(text)
