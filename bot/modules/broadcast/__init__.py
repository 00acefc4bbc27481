"""Broadcast: an admin's announcement to every reachable user, through the outbox; pause,
resume and cancel in the chat and on the console's Broadcasts page."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.module import Module
from bot.core.people import N_
from bot.core.telegram import OWNER, Button, Command, admin_commands, admins
from bot.modules.broadcast import drafts, handlers, measure, paid, paid_handlers, personal
from bot.modules.broadcast.campaign_pages import ROUTES as CAMPAIGN_ROUTES
from bot.modules.broadcast.jobs import JOBS
from bot.modules.broadcast.pages import CONSOLE
from bot.modules.broadcast.undo import COMMANDS as UNDO
from bot.modules.broadcast.undo import ROUTES as UNDO_ROUTES

ADMINS = admins()  # one guard for the module's admin buttons (declared once, compared equal)

COMMANDS = (
    Command(
        "broadcast",
        N_("send an announcement to every user, or to an audience"),
        usage=N_("[audience, then a new line] <text>"),
        admin=True,
        callback=handlers.broadcast,
    ),
    *admin_commands(
        (
            "pausebroadcast",
            N_("hold a broadcast's waiting messages"),
            N_("<id>"),
            handlers.pausebroadcast,
        ),
        ("resumebroadcast", N_("send a paused broadcast on"), N_("<id>"), handlers.resumebroadcast),
        ("cancelbroadcast", N_("stop a broadcast for good"), N_("<id>"), handlers.cancelbroadcast),
    ),
    *UNDO,  # /deletebroadcast, /editbroadcast (undo.py; its table: edit_models.py)
    *admin_commands(
        (
            "campaign",
            N_("what a broadcast achieved: delivered, opted out, clicked"),
            N_("<id>"),
            measure.campaign,
        ),
        (
            "paidbroadcast",
            N_("send a broadcast's waiting copies faster, for Stars, up to a cap"),
            N_("<id> <stars>"),
            paid_handlers.paidbroadcast,
        ),
    ),
)


def register(services: Services) -> Module:
    services.outbox.paid = paid.BroadcastPaidLane(services.db)  # paid.py: capped in Stars
    services.personal.add(personal.HOLDING)
    services.purgers.add("broadcast.campaign_measures", personal.purger(services.settings))
    return Module(
        "broadcast",
        commands=COMMANDS,
        buttons=(
            Button(drafts.PREFIX, handlers.pressed, guard=ADMINS),
            Button(measure.OPT_OUT, measure.opted_out, guard=OWNER),
            Button(measure.CLICK, measure.clicked, guard=OWNER),
            Button(paid_handlers.PREFIX, paid_handlers.pressed, guard=ADMINS),
        ),
        purgers={"broadcast.drafts": drafts.purge_old},
        jobs=JOBS,
        console=(*CONSOLE, *UNDO_ROUTES, *CAMPAIGN_ROUTES),
    )


__all__ = ["register"]
