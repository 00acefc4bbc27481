"""An admin's grant and revoke: the one code path behind /grant, /revoke and the console's
People page (``POST users/<id>/vip/grant`` and ``.../revoke``)."""

from __future__ import annotations

from telegram import Bot

from bot.core.context import Services
from bot.core.kernel import get_logger
from bot.modules.subscriptions import access, service

log = get_logger(__name__)


class UnknownUser(Exception):
    """The user never started the bot: there is no one to grant to."""


class NotActive(Exception):
    """The user has no active subscription: nothing to revoke."""


async def grant(
    services: Services,
    bot: Bot,
    user_id: int,
    duration: str,
    *,
    by: int,
    via: str,
    claim: access.Claim | None = None,
) -> access.Access:
    """Grant ``duration`` (``30d``, ``12h``, ...) of VIP to ``user_id`` or extend their
    subscription, and queue their one-person invite link. Raises
    :class:`service.DurationError`, :class:`UnknownUser` or :class:`access.AccessError`,
    each having changed nothing. ``claim`` is taken in the grant's own transaction (see
    :func:`access.grant_access`)."""
    length = service.parse_duration(duration)
    async with services.db.session() as session:
        if not await service.user_exists(session, user_id):
            raise UnknownUser(user_id)
    outcome = await access.grant_access(services, bot, user_id, length, claim=claim)
    log.info(
        "subscription granted",
        user_id=user_id,
        ends_at=outcome.grant.ends_at.isoformat(),
        by=by,
        via=via,
    )
    return outcome


async def revoke(services: Services, bot: Bot, user_id: int, *, by: int, via: str) -> None:
    """End ``user_id``'s active subscription now, tell them, revoke their links and remove
    them from the VIP chat. Raises :class:`NotActive` (nothing changed) when there is none."""
    async with services.db.session() as session:
        sub = await service.get(session, user_id)
    if sub is None or sub.status != "active":
        raise NotActive(user_id)
    if not await access.end_subscription(services, sub.id, user_id, sub.ends_at, revoked=True):
        raise NotActive(user_id)  # it ended (expired, revoked) meanwhile
    await access.close_out(services, bot)
    log.info("subscription revoked", user_id=user_id, by=by, via=via)
