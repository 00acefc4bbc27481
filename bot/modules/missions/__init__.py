"""Missions: a daily mission per user, the Done button, streaks, and the catalogue."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.kernel import UserZoneChanged
from bot.core.module import Module, On
from bot.core.people import N_
from bot.core.telegram import OWNER, Button, admin_commands, user_commands
from bot.modules.missions import audience, handlers, missiontime, personal
from bot.modules.missions.analytics import FUNNEL
from bot.modules.missions.jobs import JOBS
from bot.modules.missions.service import day_figures
from bot.modules.missions.settings import MissionSettings
from bot.modules.missions.times import ZoneFollower

COMMANDS = (
    *user_commands(
        ("mission", N_("today's mission, with its Done button"), "", handlers.mission),
        (
            "missiontime",
            N_("the local time your daily mission arrives"),
            N_("<HH:MM|default>"),
            missiontime.mission_time,
        ),
    ),
    *admin_commands(
        ("missions", N_("list the mission catalogue"), "", handlers.list_missions),
        (
            "addmission",
            N_("add a mission"),
            N_("<points> <title> | <description>"),
            handlers.add_mission,
        ),
        ("retiremission", N_("stop assigning a mission"), N_("<id>"), handlers.retire_mission),
    ),
)


def register(services: Services) -> Module:
    services.personal.add(personal.HOLDING)
    services.purgers.add("missions.assignments", personal.purger(services.settings))
    return Module(
        "missions",
        audience=audience.FACETS,
        settings=MissionSettings,
        commands=COMMANDS,
        buttons=(Button("mission:", handlers.done_pressed, guard=OWNER),),
        reactions=(On(UserZoneChanged, ZoneFollower(services).zone_changed, in_transaction=True),),
        jobs=JOBS,
        stats=(day_figures,),
        funnel=FUNNEL,
        figures={
            "missions_assigned": N_("Missions assigned"),
            "missions_completed": N_("Missions completed"),
        },
    )


__all__ = ["register"]
