"""The VIP chat side of a subscription: invite links in, ban+unban out.

Telegram calls happen outside database transactions; the state they depend on is
committed before (grant) or recorded after (``removed_at``), so a failure is retried
rather than forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.core.context import Services
from bot.core.logging import get_logger
from bot.modules.subscriptions import payments, service
from bot.modules.subscriptions.events import SubscriptionExpired, SubscriptionGranted

log = get_logger(__name__)


class AccessError(Exception):
    """The VIP chat cannot be managed (not configured, or Telegram refused)."""


class AlreadyPaid(Exception):
    """This Stars payment was applied before (Telegram delivered it again)."""


@dataclass(frozen=True, slots=True)
class Payment:
    """The Stars payment a grant is for; recorded in the grant's transaction."""

    charge_id: str
    offer: payments.Offer
    stars: int


@dataclass(frozen=True, slots=True)
class Outcome:
    grant: service.Grant
    link: str
    link_expires_at: datetime


async def grant_access(
    services: Services, bot: Bot, user_id: int, duration: timedelta, *,
    payment: Payment | None = None,
) -> Outcome:  # fmt: skip
    """Create a one-person invite link, then grant and queue the link to the user.

    With ``payment``, the payment is recorded in the same transaction as the grant, and
    :class:`AlreadyPaid` is raised (nothing granted) if its charge id was seen before.
    """
    chat_id = services.settings.vip_chat_id
    if chat_id is None:
        raise AccessError("VIP_CHAT_ID is not set, so there is no chat to invite to")
    now = services.clock.now()
    ttl = timedelta(hours=services.settings.vip_invite_ttl_hours)
    async with services.db.session() as session:
        if payment is not None and await payments.seen(session, payment.charge_id):
            raise AlreadyPaid(payment.charge_id)
        current = await service.get(session, user_id)
    base = (
        current.ends_at if current and current.status == "active" and current.ends_at > now else now
    )
    expires_at = min(now + ttl, base + duration)
    try:
        invite = await bot.create_chat_invite_link(
            chat_id, member_limit=1, expire_date=expires_at, name=f"vip:{user_id}"
        )
    except TelegramError as exc:
        raise AccessError(f"Telegram refused to create an invite link: {exc}") from exc
    async with services.db.session() as session:
        if payment is not None and not await payments.record(
            session, charge_id=payment.charge_id, offer=payment.offer, amount=payment.stars,
            now=now,
        ):  # fmt: skip
            raise AlreadyPaid(payment.charge_id)  # a concurrent delivery won the race
        result = await service.grant(session, user_id, duration, now)
        await service.record_link(
            session, link=invite.invite_link, user_id=user_id, expires_at=expires_at, now=now
        )
        await service.tell(
            services.outbox, session, category="notification", user_id=user_id,
            key=f"subgrant:{user_id}:{result.ends_at.isoformat()}",
            text=granted_text(result, invite.invite_link, expires_at, services),
        )  # fmt: skip
    await services.bus.publish(SubscriptionGranted(user_id, result.ends_at, result.extended))
    return Outcome(result, invite.invite_link, expires_at)


def granted_text(
    result: service.Grant, link: str, link_expires_at: datetime, services: Services
) -> str:
    tz = services.settings.tz
    head = "extended" if result.extended else "is active"
    return (
        f"Your VIP subscription {head} until {service.local(result.ends_at, tz)}.\n"
        f"Join the VIP chat with this personal link (one person, valid until "
        f"{service.local(link_expires_at, tz)}):\n{link}"
    )


async def end_subscription(
    services: Services, sub_id: int, user_id: int, ends_at: datetime, *, revoked: bool
) -> bool:
    """End one subscription and queue the user's message, atomically; True if it ended now."""
    now = services.clock.now()
    async with services.db.session() as session:
        if not await service.end(session, sub_id, now, revoked=revoked):
            return False
        why = "was ended by an admin" if revoked else "has ended"
        await service.tell(
            services.outbox, session, category="notification", user_id=user_id,
            key=f"subend:{user_id}:{ends_at.isoformat()}",
            text=f"Your VIP subscription {why}, so you no longer have access to the VIP chat.",
        )  # fmt: skip
    await services.bus.publish(SubscriptionExpired(user_id, revoked))
    return True


async def remove_ended(services: Services, bot: Bot, limit: int = 500) -> int:
    """Remove ended subscribers from the VIP chat (ban, then unban so they may rejoin)."""
    chat_id = services.settings.vip_chat_id
    if chat_id is None:
        return 0
    async with services.db.session() as session:
        pending = [(s.id, s.user_id) for s in await service.awaiting_removal(session, limit)]
    removed = 0
    for sub_id, user_id in pending:
        try:
            await bot.ban_chat_member(chat_id, user_id)
            await bot.unban_chat_member(chat_id, user_id, only_if_banned=True)
        except (BadRequest, Forbidden) as exc:  # not retryable: record and move on
            log.warning("VIP removal refused", user_id=user_id, error=str(exc))
        except TelegramError as exc:  # network trouble: the next run retries
            log.warning("VIP removal failed, will retry", user_id=user_id, error=str(exc))
            continue
        async with services.db.session() as session:
            await service.mark_removed(session, sub_id, services.clock.now())
        removed += 1
    return removed
