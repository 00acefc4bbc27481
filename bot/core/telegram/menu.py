"""Telegram's command menu, published from the catalogue of declared commands.

Public commands for everyone, every command an admin may run for each admin; in the
default language for any client, and in each shipped language for clients set to it.
"""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.core.kernel import Settings, get_logger
from bot.core.people import languages, speaking, tag
from bot.core.telegram.commands import CommandCatalog

log = get_logger(__name__)


async def publish_command_menu(bot: Bot, commands: CommandCatalog, settings: Settings) -> None:
    """Publish the menu in every language; a failure is logged, never raised (this runs
    in the background, where nobody else would see it)."""
    try:
        for language in (None, *languages()):
            await _publish(bot, commands, settings, language)
    except TelegramError as exc:  # an admin who never opened the chat is not fatal
        log.warning("command menu not fully published", error=str(exc))
    except Exception:
        log.exception("command menu not published")
    else:
        log.info("command menu published", languages=len(languages()))


async def _publish(
    bot: Bot, commands: CommandCatalog, settings: Settings, language: str | None
) -> None:
    def menu(user_id: int | None) -> list[BotCommand]:
        with speaking(language):
            visible = commands.visible_to(settings, user_id)
            return [BotCommand(c.name, c.summary()[:256]) for c in visible]

    code = tag(language) if language else None
    await bot.set_my_commands(menu(None), scope=BotCommandScopeDefault(), language_code=code)
    for admin_id in settings.admin_ids:
        scope = BotCommandScopeChat(admin_id)
        await bot.set_my_commands(menu(admin_id), scope=scope, language_code=code)
