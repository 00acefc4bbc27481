"""The console's Moderation page and its API routes, for moderators and admins (handlers in
``console_api.py``, imported on the first console request; the script in
``console/moderation.js``)."""

from __future__ import annotations

from bot.core.people import N_
from bot.core.web import ConsolePage, ConsoleRoute

API = "bot.modules.moderation.console_api"

PAGE = ConsolePage(
    "moderation",
    N_("Moderation"),
    "moderation.js",
    texts={
        "empty": N_("Nothing waits for review."),
        "waiting": N_("Waiting for review (oldest first):"),
        "from": N_("from {author}"),
        "more": N_("{count} more wait beyond these."),
        "approve": N_("✅ Approve"),
        "ban": N_("⛔ Ban author"),
        "reject": N_("Reject"),
        "when": N_("When (+30m, +2h, +1d or 2026-12-01T09:00; empty: the next free slot)"),
        "confirm_ban": N_("Ban the author and reject all their waiting suggestions?"),
        "no": N_("Close"),
        "photo": N_("photo"),
        "video": N_("video"),
        "text": N_("text only"),
    },
    role="moderator",
    order=20,
)

CONSOLE = (
    PAGE,
    ConsoleRoute("GET", "moderation/queue", f"{API}:queue", role="moderator"),
    ConsoleRoute(
        "POST",
        "moderation/{id}/approve",
        f"{API}:approve",
        role="moderator",
        action="moderation.approve",
    ),
    ConsoleRoute(
        "POST",
        "moderation/{id}/reject",
        f"{API}:reject",
        role="moderator",
        action="moderation.reject",
    ),
    ConsoleRoute(
        "POST", "moderation/{id}/ban", f"{API}:ban", role="moderator", action="moderation.ban"
    ),
)
