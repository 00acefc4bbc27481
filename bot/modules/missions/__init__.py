"""Missions: a daily mission per user, the Done button, streaks, and the catalogue."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.core.events import UserZoneChanged
from bot.modules.missions import handlers, hours
from bot.modules.missions.jobs import JOBS
from bot.modules.missions.service import day_figures
from bot.modules.missions.times import ZoneFollower

COMMANDS = (
    Command("mission", "today's mission, with its Done button", callback=handlers.mission),
    Command("missiontime", "the local time your daily mission arrives", usage="<HH:MM|default>",
            callback=hours.mission_time),
    Command("missions", "list the mission catalogue", admin=True,
            callback=handlers.list_missions),
    Command("addmission", "add a mission", usage="<points> <title> | <description>",
            admin=True, callback=handlers.add_mission),
    Command("retiremission", "stop assigning a mission", usage="<id>", admin=True,
            callback=handlers.retire_mission),
)  # fmt: skip


def register(app: App, services: Services) -> None:
    services.commands.register(app, *COMMANDS)
    for spec in JOBS:
        services.jobs.add(spec)
    services.stats.add("missions", day_figures)
    services.bus.subscribe_in_transaction(UserZoneChanged, ZoneFollower(services).zone_changed)
    app.add_handler(CallbackQueryHandler(handlers.done_pressed, pattern=r"^mission:"))


__all__ = ["register"]
