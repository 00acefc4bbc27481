"""Notifications: per-user preferences and quiet hours, enforced as the outbox's delivery policy."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module, On
from bot.core.people import N_
from bot.core.telegram import OWNER, Button, Command
from bot.modules.broadcast.events import AnnouncementsDeclined
from bot.modules.notifications import handlers, personal
from bot.modules.notifications.service import PreferencesPolicy, decline_announcements

COMMANDS = (
    Command("notifications", N_("choose which messages you get"), callback=handlers.show),
    Command(
        "quiet", N_("set quiet hours for bulk messages"), N_("<22-08|off>"), callback=handlers.quiet
    ),
)


def register(services: Services) -> Module:
    services.personal.add(personal.HOLDING)
    return Module(
        "notifications",
        commands=COMMANDS,
        buttons=(Button("notif:", handlers.pressed, guard=OWNER),),
        policy=PreferencesPolicy(services.settings.tz),
        reactions=(On(AnnouncementsDeclined, decline_announcements, in_transaction=True),),
    )


__all__ = ["register"]
