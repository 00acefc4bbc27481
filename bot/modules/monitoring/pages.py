"""The Overview page of the console: its script (``console/overview.js``) and its words."""

from __future__ import annotations

from bot.core.people import N_
from bot.core.web import ConsolePage

PAGE = ConsolePage(
    "overview",
    N_("Overview"),
    "overview.js",
    texts={
        "health": N_("Health"),
        "ok": N_("ok"),
        "degraded": N_("degraded"),
        "unavailable": N_("unavailable"),
        "instances": N_("Instances"),
        "leader": N_("leader"),
        "standby": N_("standby"),
        "webhook": N_("webhook"),
        "this": N_("this process"),
        "heartbeat": N_("last heartbeat"),
        "redis": N_("Redis"),
        "off": N_("not configured"),
        "lanes": N_("Waiting to be sent"),
        "interactive": N_("interactive replies"),
        "bulk": N_("bulk sends"),
        "outbox": N_("Outbox"),
        "pending": N_("pending"),
        "due": N_("due now"),
        "rate": N_("Send rate"),
        "effective": N_("effective"),
        "limit": N_("limit"),
        "per_second": N_("per second"),
        "last_hour": N_("Last hour"),
        "too_many": N_("429 answers"),
        "errors": N_("Telegram errors"),
        "updates": N_("Updates"),
        "queued": N_("queued"),
        "handling": N_("being handled"),
        "updated": N_("Updated"),
    },
    order=0,
)
