"""Broadcast: an admin's announcement to every reachable user, through the outbox."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.modules.broadcast import handlers

COMMANDS = (Command("broadcast", "send an announcement to every user", usage="<text>", admin=True),)


def register(app: App, services: Services) -> None:
    for command in COMMANDS:
        services.commands.add(command)
    app.add_handler(CommandHandler("broadcast", handlers.broadcast))


__all__ = ["register"]
