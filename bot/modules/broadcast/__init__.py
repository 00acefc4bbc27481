"""Broadcast: an admin's announcement to every reachable user, through the outbox."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module
from bot.core.people import N_
from bot.core.telegram import Command
from bot.modules.broadcast import handlers

COMMANDS = (
    Command(
        "broadcast",
        N_("send an announcement to every user"),
        usage=N_("<text>"),
        admin=True,
        callback=handlers.broadcast,
    ),
)


def register(services: Services) -> Module:
    return Module("broadcast", commands=COMMANDS)


__all__ = ["register"]
