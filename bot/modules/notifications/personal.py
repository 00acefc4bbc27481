"""What notifications hold about a person: their preferences, which go when they are
forgotten."""

from __future__ import annotations

from bot.core.people import Action, Holding, Rule

HOLDING = Holding(
    "notifications",
    rules=(Rule("notification_prefs.user_id", Action.DELETE, label="preferences"),),
)
