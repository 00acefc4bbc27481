"""The word a declined VIP join request gets: why, and how to get access.

Without it the requester only sees their request vanish. The notice goes through the
outbox like every other message to a user (the limiter paces it, a failure is recorded),
written in their language, at most once per user and day (its key names the day), so a
user who keeps tapping the link is not answered every time.
"""

from __future__ import annotations

import functools
from enum import StrEnum

from bot.core.context import Services
from bot.core.delivery import Category, Priority
from bot.core.people import _
from bot.modules.subscriptions.settings import SubscriptionSettings


class Refusal(StrEnum):
    """Why a join request was declined."""

    NO_SUBSCRIPTION = "none"  # never subscribed
    ENDED = "ended"  # expired or revoked
    NOT_THEIRS = "link"  # subscribed, but the link is someone else's or no longer valid


async def tell(services: Services, user_id: int, refusal: Refusal) -> bool:
    """Queue the notice of ``refusal`` to ``user_id``; False if one went out today."""
    settings = services.settings.of(SubscriptionSettings)
    on_sale = settings.vip_stars_price > 0 or settings.vip_stars_monthly > 0
    day = services.clock.now().date().isoformat()
    async with services.uow() as uow:
        return await services.outbox.enqueue(
            uow.session,
            key=f"vip-declined:{day}:{user_id}",
            chat_id=user_id,
            user_id=user_id,
            category=Category.ACCESS,
            priority=Priority.NOTIFICATION,
            text=functools.partial(notice, refusal, on_sale),
        )


def notice(refusal: Refusal, on_sale: bool) -> str:
    """The notice, in the current language (the reader's)."""
    if refusal is Refusal.NOT_THEIRS:
        why = _(
            "Your request to join the VIP chat was declined: that invite link is not yours "
            "or is no longer valid. Use the personal link the bot sent you; see /status."
        )
        return why
    if refusal is Refusal.ENDED:
        why = _("Your request to join the VIP chat was declined: your VIP subscription ended.")
    else:
        why = _("Your request to join the VIP chat was declined: you have no VIP subscription.")
    if on_sale:
        how = _("Send /subscribe to get VIP access, then use the personal link you receive.")
    else:
        how = _("Ask the bot's admins for VIP access.")
    return f"{why}\n{how}"
