"""Thin PTB callbacks for registration and help."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import ChatMember, Update

from bot.core.context import BotContext
from bot.core.kernel import UserBecameReachable, UserBecameUnreachable, UserRegistered, get_logger
from bot.core.people import N_, _, set_reachable
from bot.core.people import register as register_user

log = get_logger(__name__)

WELCOME = N_(
    "Welcome to Companion, {name}!\n"
    "Every day you get a small mission; complete it to earn points and keep your streak.\n"
    "Send /help to see what you can do."
)
WELCOME_BACK = N_("Welcome back, {name}! Send /help to see what you can do.")
POINTER = N_("I answer commands only. Send /help to see what you can do.")
POINTER_EVERY = timedelta(minutes=1)


async def start(update: Update, context: BotContext) -> None:
    """Register the sender (idempotent) and greet them."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        await message.reply_text(_("Talk to me in a private chat to register."))
        return
    services = context.services
    payload = context.args[0] if context.args else None
    async with services.uow() as uow:
        record, created = await register_user(
            uow.session,
            user_id=user.id,
            first_name=user.first_name,
            username=user.username,
            language_code=user.language_code,
            payload=payload,
            now=services.clock.now(),
        )
        referrer_id = record.referrer_id
        if created:
            await uow.publish(UserRegistered(user.id, referrer_id))
    if created:
        log.info("user registered", user_id=user.id, referrer_id=referrer_id)
    template = WELCOME if created else WELCOME_BACK
    await message.reply_text(_(template).format(name=user.first_name))


async def whoami(update: Update, context: BotContext) -> None:
    """The sender's Telegram user id (what ``ADMIN_IDS`` and ``MODERATOR_IDS`` list), and
    the chat's when it is not their private chat."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None:
        return
    text = _("Your Telegram user id is {id}.").format(id=user.id)
    if chat.id != user.id:
        text += "\n" + _("This chat's id is {id}.").format(id=chat.id)
    await message.reply_text(text)


async def help_command(update: Update, context: BotContext) -> None:
    """List the commands this user may use (admins see theirs too)."""
    if update.effective_message is None:
        return
    services = context.services
    user_id = update.effective_user.id if update.effective_user else None
    visible = services.commands.visible_to(services.settings, user_id)
    lines = [_("Commands you can use:")]
    lines += [c.line() for c in visible if not c.admin]
    admin = [c.line() for c in visible if c.admin]
    if admin:
        lines += ["", _("Admin commands:"), *admin]
    await update.effective_message.reply_text("\n".join(lines))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Any command no module claimed gets a short helpful reply."""
    message = update.effective_message
    if message is None or not message.text:
        return
    name = message.text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0]
    if context.services.commands.known(name):
        return
    await message.reply_text(
        _("I don't know /{name}. Send /help to see the commands you can use.").format(name=name)
    )


async def plain_text(update: Update, context: BotContext) -> None:
    """Text no handler took, in a private chat: a pointer to /help, at most once a minute
    per chat (so a chatty user is not answered every line)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    services, key = context.services, f"pointer:{chat.id}"
    now = services.clock.now()
    last = await services.cache.get(key)
    if last is not None and now - datetime.fromisoformat(last) < POINTER_EVERY:
        return
    await services.cache.set(key, now.isoformat(), ttl=POINTER_EVERY.total_seconds())
    await message.reply_text(_(POINTER))


async def membership_changed(update: Update, context: BotContext) -> None:
    """A user blocked (``kicked``) or unblocked the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    services = context.services
    status = change.new_chat_member.status
    reachable = status not in (ChatMember.BANNED, ChatMember.LEFT)
    event = (
        UserBecameReachable(change.chat.id)
        if reachable
        else UserBecameUnreachable(change.chat.id, "blocked")
    )
    async with services.uow() as uow:
        changed = await set_reachable(uow.session, change.chat.id, reachable, reason="blocked")
        if changed:
            await uow.publish(event)
    if changed:
        log.info("reachability changed", user_id=change.chat.id, reachable=reachable)
