"""Referrals: invite links, and a reward for the inviter at a friend's first mission."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.kernel import UserRegistered
from bot.core.module import Module, On
from bot.core.people import N_
from bot.core.telegram import Command
from bot.modules.missions.events import MissionCompleted
from bot.modules.referrals import handlers, personal
from bot.modules.referrals.jobs import JOBS

COMMANDS = (
    Command("invite", N_("your invite link and the friends who joined"), callback=handlers.invite),
)


def register(services: Services) -> Module:
    services.personal.add(personal.HOLDING)
    reactions = handlers.ReferralHandlers(services)
    return Module(
        "referrals",
        commands=COMMANDS,
        reactions=(
            On(MissionCompleted, reactions.record, in_transaction=True),
            On(MissionCompleted, reactions.pay),
            On(UserRegistered, reactions.inviter_arrived),
        ),
        jobs=JOBS,
    )


__all__ = ["register"]
