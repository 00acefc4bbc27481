"""Admin: the job commands (/jobs, /runjob, /jobhistory, /pausejob, /resumejob)."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module
from bot.core.people import N_
from bot.core.telegram import admin_commands
from bot.modules.admin import handlers

COMMANDS = admin_commands(
    ("jobs", N_("every job: schedule, next run, last result"), "", handlers.jobs_command),
    ("runjob", N_("run a job now"), N_("<name> [key=value ...]"), handlers.runjob),
    ("jobhistory", N_("the last runs of a job"), N_("<name> [N]"), handlers.jobhistory),
    ("pausejob", N_("stop a job's scheduled runs"), N_("<name>"), handlers.pausejob),
    ("resumejob", N_("resume a paused job"), N_("<name>"), handlers.resumejob),
)


def register(services: Services) -> Module:
    return Module("admin", commands=COMMANDS)


__all__ = ["register"]
