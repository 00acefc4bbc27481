"""Notifications: per-user preferences and quiet hours, enforced as the outbox's delivery policy."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from bot.core.commands import Command
from bot.core.context import App, Services
from bot.core.i18n import N_
from bot.modules.notifications import handlers
from bot.modules.notifications.service import PreferencesPolicy

COMMANDS = (
    Command("notifications", N_("choose which messages you get"), callback=handlers.show),
    Command(
        "quiet", N_("set quiet hours for bulk messages"), N_("<22-08|off>"), callback=handlers.quiet
    ),
)


def register(app: App, services: Services) -> None:
    services.commands.register(app, *COMMANDS)
    services.outbox.policy = PreferencesPolicy(services.settings.tz)
    app.add_handler(CallbackQueryHandler(handlers.pressed, pattern=r"^notif:"))


__all__ = ["register"]
