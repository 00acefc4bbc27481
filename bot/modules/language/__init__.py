"""Language: /language shows a button per available language and stores the user's choice."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.core.i18n import N_
from bot.modules.language import handlers

COMMANDS = (
    Command("language", N_("choose the language I write to you in"), callback=handlers.show),
)


def register(app: App, services: Services) -> None:
    services.commands.register(app, *COMMANDS)
    app.add_handler(CallbackQueryHandler(handlers.pressed, pattern=rf"^{handlers.PREFIX}"))


__all__ = ["register"]
