"""Admin: the job commands (/jobs, /runjob, /jobhistory, /pausejob, /resumejob)."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.modules.admin import handlers

COMMANDS = (
    (
        Command("jobs", "every job: schedule, next run, last result", admin=True),
        handlers.jobs_command,
    ),
    (Command("runjob", "run a job now", "<name> [key=value ...]", admin=True), handlers.runjob),
    (
        Command("jobhistory", "the last runs of a job", "<name> [N]", admin=True),
        handlers.jobhistory,
    ),
    (Command("pausejob", "stop a job's scheduled runs", "<name>", admin=True), handlers.pausejob),
    (Command("resumejob", "resume a paused job", "<name>", admin=True), handlers.resumejob),
)


def register(app: App, services: Services) -> None:
    for command, callback in COMMANDS:
        services.commands.add(command)
        app.add_handler(CommandHandler(command.name, callback))


__all__ = ["register"]
