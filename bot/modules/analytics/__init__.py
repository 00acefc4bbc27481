"""Analytics: /stats from a cache refreshed every 15 minutes, a daily chart for admins, and
the console's Charts page."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module
from bot.core.people import N_
from bot.core.telegram import Command
from bot.modules.analytics import handlers
from bot.modules.analytics.jobs import SPECS
from bot.modules.analytics.pages import CONSOLE
from bot.modules.analytics.service import FIGURES

COMMANDS = (
    Command(
        "stats", N_("users, missions and outbox backlog now"), admin=True, callback=handlers.stats
    ),
)


def register(services: Services) -> Module:
    return Module("analytics", commands=COMMANDS, jobs=SPECS, figures=FIGURES, console=CONSOLE)


__all__ = ["register"]
