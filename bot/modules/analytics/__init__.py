"""Analytics: /stats from a cache refreshed every 15 minutes, the daily engagement roll-up
(active users, retention, the funnel, start-link sources), a daily chart for admins, and
the console's Charts page."""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Services
from bot.core.kernel import UserBecameReachable, UserBecameUnreachable
from bot.core.module import Module, On
from bot.core.people import N_
from bot.core.telegram import Command
from bot.modules.analytics import audience, handlers, personal
from bot.modules.analytics.activity import Activity, day_purger
from bot.modules.analytics.jobs import SPECS
from bot.modules.analytics.pages import CONSOLE
from bot.modules.analytics.reachability import ReachabilityLog
from bot.modules.analytics.service import FIGURES
from bot.modules.missions.events import MissionCompleted

COMMANDS = (
    Command(
        "stats", N_("users, missions and outbox backlog now"), admin=True, callback=handlers.stats
    ),
)


def register(services: Services) -> Module:
    services.personal.add(personal.HOLDING)
    activity, reachability = Activity(services), ReachabilityLog(services)
    return Module(
        "analytics",
        commands=COMMANDS,
        handlers=activity.handlers(),
        reactions=(
            On(MissionCompleted, activity.completed),
            On(UserBecameUnreachable, reachability.unreachable),
            On(UserBecameReachable, reachability.reachable),
        ),
        jobs=SPECS,
        purgers={
            "analytics.user_days": day_purger(
                timedelta(days=services.settings.retention.activity_days)
            )
        },
        figures=FIGURES,
        console=CONSOLE,
        audience=audience.FACETS,
    )


__all__ = ["register"]
