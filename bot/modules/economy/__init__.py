"""Economy: the points ledger, balances, streak bonuses, /balance and reconciliation."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module, On
from bot.core.people import N_
from bot.core.telegram import Command
from bot.core.web import ConsoleRoute
from bot.modules.economy import handlers, personal
from bot.modules.economy.awards import Awards
from bot.modules.economy.gifts import Gifts
from bot.modules.economy.jobs import JOBS
from bot.modules.economy.settings import EconomySettings
from bot.modules.missions.events import MissionCompleted
from bot.modules.referrals.events import ReferralRewarded

COMMANDS = (
    Command("balance", N_("your points, streak and last transactions"), callback=handlers.balance),
)

API = "bot.modules.economy.console_api"
# Sections of a person on the console's People page (accounts lists them under users/{id}).
CONSOLE = (
    ConsoleRoute("GET", "users/{id}/points", f"{API}:points"),
    ConsoleRoute("GET", "users/{id}/ledger", f"{API}:ledger"),
    ConsoleRoute("GET", "users/{id}/streak", f"{API}:streak"),
)


def register(services: Services) -> Module:
    services.personal.add(personal.HOLDING)
    awards, gifts = Awards(services), Gifts(services)
    return Module(
        "economy",
        settings=EconomySettings,
        commands=COMMANDS,
        reactions=(
            On(MissionCompleted, awards.mission_completed, in_transaction=True),
            On(ReferralRewarded, awards.referral_rewarded, in_transaction=True),
            On(MissionCompleted, gifts.claim, in_transaction=True),
            On(MissionCompleted, gifts.completed),
        ),
        jobs=JOBS,
        console=CONSOLE,
    )


__all__ = ["register"]
