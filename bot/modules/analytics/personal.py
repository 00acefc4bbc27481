"""What analytics hold about a person: the days they used the bot and when they blocked or
unblocked it. Both stay counted under the stand-in when they are forgotten, so each day's
active users and a past day's reachable users stay whole."""

from __future__ import annotations

from bot.core.people import Holding, Rule

HOLDING = Holding(
    "analytics",
    rules=(
        Rule("user_days.user_id", label="active_days"),
        Rule("reachability_changes.user_id", shown=("at", "reachable"), label="reachability"),
    ),
)
