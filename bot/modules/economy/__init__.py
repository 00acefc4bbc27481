"""Economy: the points ledger, balances, streak bonuses, /balance and reconciliation."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.modules.economy import handlers
from bot.modules.economy.awards import Awards
from bot.modules.economy.jobs import JOBS
from bot.modules.missions.events import MissionCompleted
from bot.modules.referrals.events import ReferralRewarded


def register(app: App, services: Services) -> None:
    services.commands.add(Command("balance", "your points, streak and last transactions"))
    for spec in JOBS:
        services.jobs.add(spec)
    awards = Awards(services)
    services.bus.subscribe_in_transaction(MissionCompleted, awards.mission_completed)
    services.bus.subscribe_in_transaction(ReferralRewarded, awards.referral_rewarded)
    app.add_handler(CommandHandler("balance", handlers.balance))


__all__ = ["register"]
