"""Admin: the job commands (/jobs, /runjob, /jobhistory, /pausejob, /resumejob)."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module
from bot.core.people import N_
from bot.core.telegram import Command
from bot.modules.admin import handlers

COMMANDS = (
    Command(
        "jobs",
        N_("every job: schedule, next run, last result"),
        admin=True,
        callback=handlers.jobs_command,
    ),
    Command(
        "runjob",
        N_("run a job now"),
        N_("<name> [key=value ...]"),
        admin=True,
        callback=handlers.runjob,
    ),
    Command(
        "jobhistory",
        N_("the last runs of a job"),
        N_("<name> [N]"),
        admin=True,
        callback=handlers.jobhistory,
    ),
    Command(
        "pausejob",
        N_("stop a job's scheduled runs"),
        N_("<name>"),
        admin=True,
        callback=handlers.pausejob,
    ),
    Command(
        "resumejob",
        N_("resume a paused job"),
        N_("<name>"),
        admin=True,
        callback=handlers.resumejob,
    ),
)


def register(services: Services) -> Module:
    return Module("admin", commands=COMMANDS)


__all__ = ["register"]
