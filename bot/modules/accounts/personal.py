"""What accounts hold about a person beyond core's users row: the tags admins set on
them, which go when they are forgotten."""

from __future__ import annotations

from bot.core.people import Action, Holding, Rule

HOLDING = Holding("accounts", rules=(Rule("user_tags.user_id", Action.DELETE, label="tags"),))
