"""Subscriptions: VIP chat access until an end time, granted by admins, reminded and expired."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

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
from bot.core.telegram import OWNER, Button, Command, admin_commands
from bot.modules.subscriptions import (
    audience,
    books,
    charges,
    handlers,
    personal,
    renewing,
    service,
)
from bot.modules.subscriptions.analytics import FUNNEL
from bot.modules.subscriptions.codes_handlers import COMMANDS as CODE_COMMANDS
from bot.modules.subscriptions.jobs import JOBS
from bot.modules.subscriptions.pages import CONSOLE
from bot.modules.subscriptions.settings import SubscriptionSettings

COMMANDS = (
    Command("status", N_("see your VIP subscription and when it ends"), callback=handlers.status),
    Command(
        "subscribe",
        N_("buy VIP access with Telegram Stars"),
        callback=handlers.subscribe,
        available=lambda settings: (
            settings.of(SubscriptionSettings).vip_stars_price > 0
            or settings.of(SubscriptionSettings).vip_stars_monthly > 0
        ),
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
            "stars",
            N_("see the bot's Stars balance and revenue per day and month"),
            "",
            books.stars_command,
        ),
        (
            "refund",
            N_("refund a Stars payment and end what it bought"),
            N_("<charge_id>"),
            handlers.refund,
        ),
        (
            "subscription",
            N_("see, cancel or re-enable a user's renewing VIP subscription"),
            N_("<user_id> [cancel|enable]"),
            renewing.subscription,
        ),
    ),
    *CODE_COMMANDS,
)


def register(services: Services) -> Module:
    services.personal.add(personal.holding(services))

    async def day_figures(session: AsyncSession, day: date) -> dict[str, int]:
        """Subscriptions active at the day's end (or now), and the Stars the day and its month
        (from the 1st to that day) took in."""
        tz = services.settings.tz
        at = as_of(day, tz, services.clock.now())
        start, end, month = (
            datetime.combine(d, time(0), tz).astimezone(UTC)
            for d in (day, day + timedelta(1), day.replace(day=1))
        )
        return {
            "active_subscriptions": await service.count_active_at(session, at),
            "stars_revenue": await charges.stars_revenue(session, start, end),
            "stars_revenue_month": await charges.stars_revenue(session, month, end),
        }

    return Module(
        "subscriptions",
        audience=audience.FACETS,
        settings=SubscriptionSettings,
        commands=COMMANDS,
        buttons=(Button(renewing.PREFIX, renewing.pressed, guard=OWNER),),
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
        stats=(day_figures,),
        funnel=FUNNEL,
        figures={
            "active_subscriptions": N_("Active subscriptions"),
            "stars_revenue": N_("Stars revenue (granted minus refunded)"),
            "stars_revenue_month": N_("Stars revenue this month, to this day"),
        },
    )


__all__ = ["register"]
