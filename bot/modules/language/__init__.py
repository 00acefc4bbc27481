"""Language: /language shows a button per available language and stores the user's choice."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module
from bot.core.people import N_
from bot.core.telegram import OWNER, Button, Command
from bot.modules.language import handlers

COMMANDS = (
    Command("language", N_("choose the language I write to you in"), callback=handlers.show),
)


def register(services: Services) -> Module:
    buttons = (Button(handlers.PREFIX, handlers.pressed, guard=OWNER),)
    return Module("language", commands=COMMANDS, buttons=buttons)


__all__ = ["register"]
