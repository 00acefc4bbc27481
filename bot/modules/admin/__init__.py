"""Admin: the job commands (/jobs, /runjob, /jobhistory, /pausejob, /resumejob)."""

from __future__ import annotations

from bot.core.commands import Command
from bot.core.context import Services
from bot.core.module import Module
from bot.modules.admin import handlers

COMMANDS = (
    Command("jobs", "every job: schedule, next run, last result", admin=True,
            callback=handlers.jobs_command),
    Command("runjob", "run a job now", "<name> [key=value ...]", admin=True,
            callback=handlers.runjob),
    Command("jobhistory", "the last runs of a job", "<name> [N]", admin=True,
            callback=handlers.jobhistory),
    Command("pausejob", "stop a job's scheduled runs", "<name>", admin=True,
            callback=handlers.pausejob),
    Command("resumejob", "resume a paused job", "<name>", admin=True,
            callback=handlers.resumejob),
)  # fmt: skip


def register(services: Services) -> Module:
    return Module("admin", commands=COMMANDS)


__all__ = ["register"]
