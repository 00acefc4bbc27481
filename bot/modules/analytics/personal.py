"""What analytics hold about a person: the days they used the bot, which stay counted
under the stand-in when they are forgotten (each day's active users stay whole)."""

from __future__ import annotations

from bot.core.people import Holding, Rule

HOLDING = Holding("analytics", rules=(Rule("user_days.user_id", label="active_days"),))
