"""Subscriptions: VIP chat access until an end time, granted by admins, reminded and expired."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import (
    ChatJoinRequestHandler,
    ChatMemberHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot.core.context import Services
from bot.core.module import Module, Routed
from bot.core.people import N_
from bot.core.stats import as_of
from bot.core.telegram import Command, admin_commands
from bot.modules.subscriptions import handlers, service
from bot.modules.subscriptions.jobs import JOBS
from bot.modules.subscriptions.pages import CONSOLE
from bot.modules.subscriptions.settings import SubscriptionSettings

COMMANDS = (
    Command("status", N_("see your VIP subscription and when it ends"), callback=handlers.status),
    Command(
        "subscribe",
        N_("buy VIP access with Telegram Stars"),
        callback=handlers.subscribe,
        available=lambda settings: settings.of(SubscriptionSettings).vip_stars_price > 0,
    ),
    *admin_commands(
        (
            "grant",
            N_("grant or extend a VIP subscription"),
            N_("<user_id> <duration>"),
            handlers.grant,
        ),
        ("revoke", N_("end a VIP subscription now"), N_("<user_id>"), handlers.revoke),
        (
            "refund",
            N_("refund a Stars payment and end what it bought"),
            N_("<charge_id>"),
            handlers.refund,
        ),
    ),
)


def register(services: Services) -> Module:
    async def active_subscriptions(session: AsyncSession, day: date) -> dict[str, int]:
        at = as_of(day, services.settings.tz, services.clock.now())
        return {"active_subscriptions": await service.count_active_at(session, at)}

    return Module(
        "subscriptions",
        settings=SubscriptionSettings,
        commands=COMMANDS,
        handlers=(
            Routed(PreCheckoutQueryHandler(handlers.pre_checkout)),
            Routed(MessageHandler(filters.SUCCESSFUL_PAYMENT, handlers.paid)),
            Routed(ChatJoinRequestHandler(handlers.join_request)),
            Routed(ChatMemberHandler(handlers.member_changed, ChatMemberHandler.CHAT_MEMBER)),
        ),
        arrivals=(handlers.store_on_arrival(services),),
        jobs=JOBS,
        purgers={"subscriptions.invite_links": service.purge_expired_links},
        console=CONSOLE,
        stats=(active_subscriptions,),
        figures={"active_subscriptions": N_("Active subscriptions")},
    )


__all__ = ["register"]
