"""Accounts: /start registration (with referral payloads), /help, unknown commands, blocks."""

from __future__ import annotations

from telegram.ext import ChatMemberHandler, CommandHandler, MessageHandler, filters

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.modules.accounts import handlers

COMMANDS = (
    Command("start", "register and see what this bot does"),
    Command("help", "list the commands you can use"),
)


def register(app: App, services: Services) -> None:
    for command in COMMANDS:
        services.commands.add(command)
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(
        ChatMemberHandler(handlers.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    # In a late group, so it sees only commands that no module claimed.
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command), group=100)


__all__ = ["register"]
