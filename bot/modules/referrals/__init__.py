"""Referrals: invite links, and a reward for the inviter at a friend's first mission."""

from __future__ import annotations

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.core.i18n import N_
from bot.modules.missions.events import MissionCompleted
from bot.modules.referrals import handlers
from bot.modules.referrals.jobs import JOBS

COMMANDS = (
    Command("invite", N_("your invite link and the friends who joined"), callback=handlers.invite),
)


def register(app: App, services: Services) -> None:
    services.commands.register(app, *COMMANDS)
    for spec in JOBS:
        services.jobs.add(spec)
    reactions = handlers.ReferralHandlers(services)
    services.bus.subscribe_in_transaction(MissionCompleted, reactions.record)
    services.bus.subscribe(MissionCompleted, reactions.pay)


__all__ = ["register"]
