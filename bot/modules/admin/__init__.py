"""Admin: the job commands (/jobs, /runjob, /jobhistory, /pausejob, /resumejob), /console,
and the console's Jobs page."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module
from bot.core.people import N_
from bot.core.telegram import Command, admin_commands
from bot.modules.admin import handlers
from bot.modules.admin.console_chat import console_command, console_staff, menu_button_hooks
from bot.modules.admin.pages import CONSOLE

COMMANDS = (
    *admin_commands(
        ("jobs", N_("every job: schedule, next run, last result"), "", handlers.jobs_command),
        ("runjob", N_("run a job now"), N_("<name> [key=value ...]"), handlers.runjob),
        ("jobhistory", N_("the last runs of a job"), N_("<name> [N]"), handlers.jobhistory),
        ("pausejob", N_("stop a job's scheduled runs"), N_("<name>"), handlers.pausejob),
        ("resumejob", N_("resume a paused job"), N_("<name>"), handlers.resumejob),
    ),
    Command(
        "console",
        N_("open the console (jobs, health, ...) in Telegram or a browser"),
        admin=True,
        callback=console_command,
        staff=console_staff,
    ),
)


def register(services: Services) -> Module:
    if services.settings.console_url is not None:
        menu_button_hooks(services)
    return Module("admin", commands=COMMANDS, console=CONSOLE)


__all__ = ["register"]
