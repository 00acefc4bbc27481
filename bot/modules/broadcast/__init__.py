"""Broadcast: an admin's announcement to every reachable user, through the outbox."""

from __future__ import annotations

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.core.i18n import N_
from bot.modules.broadcast import handlers

COMMANDS = (
    Command("broadcast", N_("send an announcement to every user"), usage=N_("<text>"), admin=True,
            callback=handlers.broadcast),
)  # fmt: skip


def register(app: App, services: Services) -> None:
    services.commands.register(app, *COMMANDS)


__all__ = ["register"]
