"""The console from the chat: ``/console`` answers with the Mini App button and a one-time
login link for a desktop browser; at the start every admin gets a "Console" menu button.
Both need ``CONSOLE_URL``."""

from __future__ import annotations

import asyncio

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError

from bot.core.context import App, BotContext, Services
from bot.core.kernel import Settings, cancel_and_wait, get_logger
from bot.core.people import _, speaking_to
from bot.core.web import LOGIN_TTL, issue_login, role_of

log = get_logger(__name__)


def console_staff(settings: Settings, user_id: int) -> bool:
    """Who may ask for the console: admins, and moderators (their pages alone)."""
    return role_of(settings, user_id) is not None


async def console_command(update: Update, context: BotContext) -> None:
    """``/console``: the Mini App button, and a login link valid once for five minutes."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    url = services.settings.console_url
    if url is None:
        await message.reply_text(_("The console is not set up: set CONSOLE_URL and HTTP_PORT."))
        return
    token = await issue_login(services.db, user.id, services.clock.now())
    minutes = int(LOGIN_TTL.total_seconds() // 60)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Open the console"), web_app=WebAppInfo(url))],
            [InlineKeyboardButton(_("Open in a browser"), url=f"{url}login?token={token}")],
        ]
    )
    text = _(
        "The console: open it here, or in a desktop browser with the second button "
        "(the link works once, for {minutes} minutes, and only for you)."
    )
    await message.reply_text(text.format(minutes=minutes), reply_markup=keyboard)


async def publish_menu_buttons(services: Services, app: App) -> None:
    """A "Console" menu button in every admin's chat with the bot (each in their language)."""
    url = services.settings.console_url
    if url is None:
        return
    for admin in services.settings.admin_ids:
        try:
            async with services.db.session() as session, speaking_to(session, admin):
                button = MenuButtonWebApp(_("Console"), WebAppInfo(url))
            await app.bot.set_chat_menu_button(chat_id=admin, menu_button=button)
        except TelegramError as exc:  # a chat the admin never opened, a Bot API hiccup
            log.warning("console menu button not set", admin=admin, error=str(exc))


def menu_button_hooks(services: Services) -> None:
    """Publish the menu buttons in the background after the start (never holding it up)."""
    tasks: list[asyncio.Task[None]] = []

    async def started(app: App) -> None:
        tasks.append(asyncio.create_task(publish_menu_buttons(services, app), name="console menu"))

    async def stopped(_app: App) -> None:
        await cancel_and_wait(tasks, what="console menu buttons")

    services.on_start.append(started)
    services.on_stop.append(stopped)
