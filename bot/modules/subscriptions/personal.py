"""What subscriptions hold about a person: their VIP access, Stars payments, a renewing
subscription, a trial, codes redeemed (and, for an admin, codes made).

Forgetting ends VIP access: before the records change, a renewing subscription is
cancelled with Telegram (``editUserStarSubscription``: no further charges) and the person
is removed from the VIP chat, since both need their real id. Then the access row and any
owed removal go; the payments, the renewing subscription's record, trials and redemptions
stay under the stand-in, so the Stars taken in and a code's uses stay whole. A person who
pays is told first what they give up.
"""

from __future__ import annotations

from bot.core.context import Services
from bot.core.kernel import get_logger
from bot.core.people import Action, Holding, Rule, _, zone_for
from bot.modules.subscriptions import removals, renewing, service, star_subscriptions
from bot.modules.subscriptions.models import StarSubscriptionState, Subscription

log = get_logger(__name__)

RULES = (
    Rule("subscriptions.user_id", Action.DELETE, label="vip_access"),
    Rule("vip_removals.user_id", Action.DELETE, exported=False),
    Rule("vip_invite_links.user_id", shown=("expires_at", "created_at", "revoked_at")),
    Rule("vip_star_payments.user_id", label="stars_payments"),
    Rule(
        "vip_star_subscriptions.user_id",
        clear={"state": StarSubscriptionState.CANCELED.value},
        label="renewing_subscription",
    ),
    Rule("vip_trials.user_id", label="trial"),
    Rule("vip_redemptions.user_id", label="codes_redeemed"),
    Rule("vip_codes.created_by", shown=("code", "created_at"), label="codes_made"),
)


def holding(services: Services) -> Holding:
    """The subscriptions' holding, with its warning and its steps with Telegram."""

    async def running(user_id: int) -> tuple[Subscription | None, bool]:
        now = services.clock.now()
        async with services.db.session() as session:
            sub = await service.get(session, user_id)
            renews = await star_subscriptions.get(session, user_id)
        active = sub if service.is_active(sub, now) else None
        renewing_now = (
            renews is not None
            and renews.state == StarSubscriptionState.ACTIVE
            and renews.expires_at > now
        )
        return active, renewing_now

    async def warn(user_id: int) -> list[str]:
        sub, renews = await running(user_id)
        lines = []
        if sub is not None:
            async with services.db.session() as session:
                tz = await zone_for(session, user_id, services.settings.tz)
            ends = service.local(sub.ends_at, tz)
            lines.append(
                _(
                    "Your VIP access ends at once (it was paid until {ends}); nothing is refunded."
                ).format(ends=ends)
            )
        if renews:
            lines.append(_("Your renewing subscription is cancelled: no further charges."))
        return lines

    async def before(user_id: int) -> None:
        sub, renews = await running(user_id)
        if renews:
            answer = await renewing.change(services, services.bot, user_id, cancel=True)
            log.info("renewal cancelled before forgetting", answer=answer)
        chat_id = services.settings.vip_chat_id
        if sub is not None and chat_id is not None:
            refused = await removals.attempt(services.bot, chat_id, user_id)
            if refused is not None:  # no removal stays owed: the id is about to go
                log.warning("VIP chat removal refused before forgetting", error=refused)

    return Holding("subscriptions", rules=RULES, warn=warn, before=before)


__all__ = ["RULES", "holding"]
