"""Backups: ``backups.daily`` (an online backup with a manifest, rotated), ``/backups``, and
what ``python -m bot backup | backups | restore`` run."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module
from bot.core.people import N_
from bot.core.telegram import admin_commands
from bot.modules.backups.handlers import backups_command
from bot.modules.backups.jobs import SPECS
from bot.modules.backups.settings import BackupSettings

COMMANDS = admin_commands(
    ("backups", N_("the database backups: time, size, rows, checksum"), "", backups_command),
)


def register(services: Services) -> Module:
    return Module("backups", commands=COMMANDS, jobs=SPECS, settings=BackupSettings)


__all__ = ["register"]
