"""Missions: a daily mission per user, the Done button, streaks, and the catalogue."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.modules.missions import handlers
from bot.modules.missions.jobs import JOBS
from bot.modules.missions.service import day_figures

COMMANDS = (
    Command("mission", "today's mission, with its Done button"),
    Command("missions", "list the mission catalogue", admin=True),
    Command("addmission", "add a mission", usage="<points> <title> | <description>", admin=True),
    Command("retiremission", "stop assigning a mission", usage="<id>", admin=True),
)


def register(app: App, services: Services) -> None:
    for command in COMMANDS:
        services.commands.add(command)
    for spec in JOBS:
        services.jobs.add(spec)
    services.stats.add("missions", day_figures)
    app.add_handler(CommandHandler("mission", handlers.mission))
    app.add_handler(CommandHandler("missions", handlers.list_missions))
    app.add_handler(CommandHandler("addmission", handlers.add_mission))
    app.add_handler(CommandHandler("retiremission", handlers.retire_mission))
    app.add_handler(CallbackQueryHandler(handlers.done_pressed, pattern=r"^mission:"))


__all__ = ["register"]
