"""The Broadcasts page of the console and its API routes (handlers in ``console_api.py``,
imported on the first console request; the script in ``console/broadcasts.js``)."""

from __future__ import annotations

from bot.core.people import N_
from bot.core.web import ConsolePage, ConsoleRoute

API = "bot.modules.broadcast.console_api"

PAGE = ConsolePage(
    "broadcasts",
    N_("Broadcasts"),
    "broadcasts.js",
    texts={
        "broadcast": N_("Broadcast"),
        "started_by": N_("Started by"),
        "status": N_("Status"),
        "delivered": N_("delivered:"),
        "blocked": N_("blocked:"),
        "failed": N_("failed:"),
        "skipped": N_("skipped:"),
        "cancelled": N_("cancelled:"),
        "waiting": N_("waiting:"),
        "in_flight": N_("in flight:"),
        "pause": N_("Pause"),
        "resume": N_("Resume"),
        "cancel": N_("Cancel broadcast"),
        "confirm_pause": N_("Pause this broadcast? Its waiting messages are held until resumed."),
        "confirm_resume": N_("Resume this broadcast? Its held messages are sent on."),
        "confirm_cancel": N_(
            "Cancel this broadcast for good? Its waiting messages will never be sent."
        ),
        "confirm": N_("Yes, go ahead"),
        "close": N_("Close"),
        "none": N_("No broadcasts yet: /broadcast <text> in the chat starts one."),
    },
    order=50,
)

CONSOLE = (
    PAGE,
    ConsoleRoute("GET", "broadcasts", f"{API}:broadcasts"),
    ConsoleRoute("GET", "broadcasts/{id}", f"{API}:detail"),
    ConsoleRoute("POST", "broadcasts/{id}/pause", f"{API}:pause", action="broadcasts.pause"),
    ConsoleRoute("POST", "broadcasts/{id}/resume", f"{API}:resume", action="broadcasts.resume"),
    ConsoleRoute("POST", "broadcasts/{id}/cancel", f"{API}:cancel", action="broadcasts.cancel"),
)
