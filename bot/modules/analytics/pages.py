"""The Charts page of the console and its API route (the handler in ``console_api.py``,
imported on the first console request; the script in ``console/charts.js``, which draws
with the vendored uPlot in the same folder)."""

from __future__ import annotations

from bot.core.people import N_
from bot.core.web import ConsolePage, ConsoleRoute

PAGE = ConsolePage(
    "charts",
    N_("Charts"),
    "charts.js",
    texts={
        "users": N_("Users"),
        "users_total": N_("users"),
        "users_new": N_("new users"),
        "missions": N_("Missions completed per day"),
        "missions_completed": N_("missions completed"),
        "revenue": N_("Stars revenue per day"),
        "stars_revenue": N_("Stars (granted minus refunded)"),
        "period": N_("Period"),
        "days": N_("days"),
        "no_data": N_("No figures for these days yet."),
        "gaps": N_("Days without figures (the bot was not running) are left blank."),
        "updated": N_("Today's figures as of"),
        "total": N_("in the period"),
        "table": N_("Figures per day"),
    },
    order=40,
)

CONSOLE = (
    PAGE,
    ConsoleRoute("GET", "charts", "bot.modules.analytics.console_api:charts"),
    ConsoleRoute("GET", "engagement", "bot.modules.analytics.console_api:engagement"),
)
