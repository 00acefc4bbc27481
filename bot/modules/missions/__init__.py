"""Missions: a daily mission per user, the Done button, streaks, and the catalogue."""

from __future__ import annotations

from bot.core.commands import Command
from bot.core.context import Services
from bot.core.events import UserZoneChanged
from bot.core.module import Module
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


def register(services: Services) -> Module:
    services.bus.subscribe_in_transaction(UserZoneChanged, ZoneFollower(services).zone_changed)
    return Module(
        "missions",
        commands=COMMANDS,
        buttons={"mission:": handlers.done_pressed},
        jobs=JOBS,
        stats=(day_figures,),
    )


__all__ = ["register"]
