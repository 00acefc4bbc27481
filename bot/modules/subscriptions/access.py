"""The VIP chat side of a subscription: personal invite links in, ban+unban out.

Telegram calls happen outside database transactions; the state they depend on is
committed before (grant) or recorded after Telegram confirmed it (``removed_at``, see
``removals``), so a failure is retried rather than forgotten.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.core.context import Services
from bot.core.delivery import Category
from bot.core.kernel import get_logger
from bot.core.people import _, zone_for
from bot.modules.subscriptions import charges, links, removals, service
from bot.modules.subscriptions.events import SubscriptionExpired, SubscriptionGranted
from bot.modules.subscriptions.settings import SubscriptionSettings

log = get_logger(__name__)
# Taken in the grant's own transaction (see grant_access): a trial, a promo code's use.
Claim = Callable[[AsyncSession], Awaitable[None]]


class AccessError(Exception):
    """The VIP chat cannot be managed (not configured, or Telegram refused)."""


class AlreadyGranted(Exception):
    """This Stars charge is not waiting any more (granted by another try, or refunded)."""


@dataclass(frozen=True, slots=True)
class Access:
    """A grant and the one-time invite link to the VIP chat that goes with it."""

    grant: service.Grant
    link: str
    link_expires_at: datetime


async def grant_access(
    services: Services,
    bot: Bot,
    user_id: int,
    duration: timedelta,
    *,
    charge_id: str | None = None,
    claim: Claim | None = None,
) -> Access:
    """Create a personal invite link, then grant and queue the link to the user, in one
    transaction. With ``charge_id``, that transaction also marks the charge granted, and
    :class:`AlreadyGranted` is raised (nothing granted) if it was not waiting any more.
    ``claim`` runs first in that same transaction (a trial or a promo code's use taken): it
    raises to refuse, and then nothing is granted; a grant that fails takes no claim."""
    chat_id = services.settings.vip_chat_id
    if chat_id is None:
        raise AccessError(_("VIP_CHAT_ID is not set, so there is no chat to invite to"))
    now = services.clock.now()
    expires_at = await _link_expiry(services, user_id, duration, now)
    try:
        invite = await bot.create_chat_invite_link(
            chat_id, expire_date=expires_at, name=f"vip:{user_id}", creates_join_request=True
        )
    except TelegramError as exc:
        refused = _("Telegram refused to create an invite link: {error}").format(error=exc)
        raise AccessError(refused) from exc
    try:
        result = await _record_grant(
            services, user_id, duration, invite.invite_link, expires_at, charge_id, claim
        )
    except Exception:
        await _drop_link(bot, chat_id, invite.invite_link)
        raise
    return Access(result, invite.invite_link, expires_at)


async def _link_expiry(
    services: Services, user_id: int, duration: timedelta, now: datetime
) -> datetime:
    """``VIP_INVITE_TTL_HOURS`` from now, never beyond the (expected) end; only the link's
    life depends on this read, the end itself is computed by the grant's statement."""
    async with services.db.session() as session:
        current = await service.get(session, user_id)
    base = current.ends_at if service.is_active(current, now) and current else now
    return min(
        now + timedelta(hours=services.settings.of(SubscriptionSettings).vip_invite_ttl_hours),
        base + duration,
    )


async def _record_grant(
    services: Services,
    user_id: int,
    duration: timedelta,
    link: str,
    expires_at: datetime,
    charge_id: str | None,
    claim: Claim | None = None,
) -> service.Grant:
    now = services.clock.now()
    async with services.uow() as uow:
        session = uow.session
        if claim is not None:
            await claim(session)
        if charge_id is not None and not await charges.claim_grant(session, charge_id, now):
            raise AlreadyGranted(charge_id)
        result = await service.grant(session, user_id, duration, now)
        if charge_id is not None:
            await service.note_period(session, charge_id, result.ends_at)
        await service.record_link(
            session, link=link, user_id=user_id, expires_at=expires_at, now=now
        )
        tz = await zone_for(session, user_id, services.settings.tz)
        await service.tell(
            services.outbox,
            session,
            category=Category.ACCESS,
            user_id=user_id,
            key=f"subgrant:{user_id}:{result.ends_at.isoformat()}",
            text=functools.partial(granted_text, result, link, expires_at, tz),
        )
        await uow.publish(SubscriptionGranted(user_id, result.ends_at, result.extended))
    return result


async def _drop_link(bot: Bot, chat_id: int, link: str) -> None:
    """A link whose grant did not commit is revoked (best effort; unrecorded links are
    declined anyway, since nobody is on record for them)."""
    try:
        await bot.revoke_chat_invite_link(chat_id, link)
    except TelegramError as exc:
        log.warning("unused invite link not revoked", error=str(exc))


def granted_text(result: service.Grant, link: str, link_expires_at: datetime, tz: tzinfo) -> str:
    """The subscriber's message with their link, times in ``tz`` (their zone)."""
    if result.extended:
        head = _("Your VIP subscription is extended until {ends}.")
    else:
        head = _("Your VIP subscription is active until {ends}.")
    join = _(
        "Join the VIP chat with this personal link (it works for you only, valid until "
        "{expires}):\n{link}"
    )
    return (
        head.format(ends=service.local(result.ends_at, tz))
        + "\n"
        + join.format(expires=service.local(link_expires_at, tz), link=link)
    )


async def end_subscription(
    services: Services, sub_id: int, user_id: int, ends_at: datetime, *, revoked: bool
) -> bool:
    """End one subscription and queue the user's message, atomically; True if it ended now."""
    now = services.clock.now()
    async with services.uow() as uow:
        if not await service.end(uow.session, sub_id, now, revoked=revoked):
            return False
        await service.tell(
            services.outbox,
            uow.session,
            category=Category.ACCESS,
            user_id=user_id,
            key=f"subend:{user_id}:{ends_at.isoformat()}",
            text=functools.partial(ended_text, revoked),
        )
        await uow.publish(SubscriptionExpired(user_id, revoked))
    return True


async def revoke_links(services: Services, bot: Bot, limit: int = 500) -> int:
    """Revoke the live links of users without a running subscription (revoked or
    expired); a link Telegram no longer knows counts as revoked, a network error is
    retried by the next expire run."""
    chat_id = services.settings.vip_chat_id
    if chat_id is None:
        return 0
    async with services.db.session() as session:
        pending = await links.to_revoke(session, services.clock.now(), limit)
    revoked = 0
    for link, user_id in pending:
        try:
            await bot.revoke_chat_invite_link(chat_id, link)
        except BadRequest as exc:
            log.warning("invite link not revocable", user_id=user_id, error=str(exc))
        except TelegramError as exc:
            log.warning("invite link revocation failed, will retry", error=str(exc))
            continue
        async with services.db.session() as session:
            await links.mark_revoked(session, link, services.clock.now())
        revoked += 1
    return revoked


async def close_out(services: Services, bot: Bot) -> tuple[int, int]:
    """After subscriptions ended: revoke their links, remove them from the VIP chat (a
    removal Telegram does not confirm stays owed and is retried)."""
    return await revoke_links(services, bot), await removals.remove_due(services, bot)


def ended_text(revoked: bool) -> str:
    if revoked:
        return _(
            "Your VIP subscription was ended by an admin, so you no longer have access to "
            "the VIP chat."
        )
    return _("Your VIP subscription has ended, so you no longer have access to the VIP chat.")
