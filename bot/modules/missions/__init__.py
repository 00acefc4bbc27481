"""Missions: a daily mission per user, the Done button, streaks, and the catalogue."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.core.i18n import N_
from bot.modules.missions import handlers
from bot.modules.missions.jobs import JOBS
from bot.modules.missions.service import day_figures

COMMANDS = (
    Command("mission", N_("today's mission, with its Done button"), callback=handlers.mission),
    Command("missions", N_("list the mission catalogue"), admin=True,
            callback=handlers.list_missions),
    Command("addmission", N_("add a mission"), usage=N_("<points> <title> | <description>"),
            admin=True, callback=handlers.add_mission),
    Command("retiremission", N_("stop assigning a mission"), usage=N_("<id>"), admin=True,
            callback=handlers.retire_mission),
)  # fmt: skip


def register(app: App, services: Services) -> None:
    services.commands.register(app, *COMMANDS)
    for spec in JOBS:
        services.jobs.add(spec)
    services.stats.add("missions", day_figures)
    app.add_handler(CallbackQueryHandler(handlers.done_pressed, pattern=r"^mission:"))


__all__ = ["register"]
