"""The People page of the console and its API routes (handlers in ``console_api.py``,
imported on the first console request; the script in ``console/people.js``). Other modules
add a person's sections as ``GET users/{id}/<section>`` routes of their own (economy: points,
ledger, streak; subscriptions: vip), which ``users/{id}`` lists."""

from __future__ import annotations

from bot.core.people import N_
from bot.core.web import ConsolePage, ConsoleRoute

API = "bot.modules.accounts.console_api"

PAGE = ConsolePage(
    "people",
    N_("People"),
    "people.js",
    texts={
        "search": N_("User id or @username"),
        "find": N_("Look up"),
        "none_found": N_("No one found."),
        "back": N_("Back to the results"),
        "loading": N_("Loading the person…"),
        "done": N_("Done: the change is made."),
        "cancel": N_("Not now"),
    },
    order=30,
)

CONSOLE = (
    PAGE,
    ConsoleRoute("GET", "users", f"{API}:search"),
    ConsoleRoute("GET", "users/{id}", f"{API}:person"),
    ConsoleRoute("GET", "users/{id}/profile", f"{API}:profile"),
)
