"""``/refund <charge_id>``: give the Stars back and take back the access they bought.

Telegram refunds first (``refundStarPayment``); only then, in one transaction, the
charge is marked refunded, what is left of the period it bought comes off the
subscription (ending it if nothing is left), the periods bought after it move earlier
by as much, and the payer's message is queued. A period already over, or one of a
subscription that has ended since, takes nothing off a later, separately paid one. A
refund Telegram already made (the bot stopped before recording it) is recorded when
asked again.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.core.context import Services
from bot.core.delivery import Category
from bot.core.kernel import get_logger
from bot.core.people import _, number, zone_for
from bot.modules.subscriptions import access, charges, renewing, service
from bot.modules.subscriptions.events import SubscriptionExpired
from bot.modules.subscriptions.models import ChargeState, StarPayment, Subscription

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Refunded:
    """What a recorded refund did to the subscription."""

    ends_at: datetime | None  # the new end, None if nothing was taken back
    ended: bool


async def refund(services: Services, bot: Bot, charge_id: str) -> str:
    """Refund one charge; the answer for the admin (a refusal changes nothing)."""
    async with services.db.session() as session:
        row = await charges.get(session, charge_id)
    if row is None:
        return _("No Stars payment with charge id {id}; nothing changed.").format(id=charge_id)
    if row.state == ChargeState.REFUNDED:
        return _("Payment {id} was refunded already; nothing changed.").format(id=charge_id)
    try:
        await bot.refund_star_payment(row.user_id, charge_id)
    except BadRequest as exc:
        if "ALREADY_REFUNDED" not in str(exc).upper():
            text = _("Telegram refused to refund {id}: {error}; nothing changed.")
            return text.format(id=charge_id, error=exc)
    except TelegramError as exc:
        text = _("The refund of {id} failed ({error}); nothing changed, try again.")
        return text.format(id=charge_id, error=exc)
    done = await _record(services, row)
    if done is None:
        return _("Payment {id} was refunded already; nothing changed.").format(id=charge_id)
    log.info("Stars payment refunded", charge_id=charge_id, user_id=row.user_id)
    await renewing.end_on_refund(services, bot, row)
    if done.ended:
        await access.close_out(services, bot)
    head = _("Refunded {id}: {stars} Stars to user {user};").format(
        id=charge_id, stars=number(row.stars), user=row.user_id
    )
    return f"{head} {_effect(services, done)}"


def _effect(services: Services, done: Refunded) -> str:
    if done.ended:
        return _("their subscription has ended.")
    if done.ends_at is None:
        return _("no subscription time to take back.")
    ends = service.local(done.ends_at, services.settings.tz)
    return _("their subscription now ends {ends}.").format(ends=ends)


async def _record(services: Services, row: StarPayment) -> Refunded | None:
    """Mark refunded from the state last seen (a concurrent grant moves it: look again),
    shorten, tell the payer; None if a concurrent refund recorded it first."""
    seen = row.state
    now = services.clock.now()
    async with services.uow() as uow:
        session = uow.session
        while not await charges.mark_refunded(session, row.charge_id, seen, now):
            current = await charges.get(session, row.charge_id)
            if current is None or current.state == ChargeState.REFUNDED:
                return None
            seen = current.state
        done = await _take_back(session, row, now) if seen == ChargeState.GRANTED else None
        done = done or Refunded(None, ended=False)
        tz = await zone_for(session, row.user_id, services.settings.tz)
        await service.tell(
            services.outbox,
            session,
            category=Category.RECEIPT,
            user_id=row.user_id,
            key=f"refund:{row.charge_id}",
            text=functools.partial(_payer_text, row, done, tz),
        )
        if done.ended:
            await uow.publish(SubscriptionExpired(row.user_id, revoked=True))
    return done


async def _take_back(session: AsyncSession, row: StarPayment, now: datetime) -> Refunded | None:
    sub = await service.get(session, row.user_id)
    seconds = unused_seconds(row, sub, now)
    if sub is None or not seconds:
        return None
    ends_at = await service.shorten(session, row.user_id, timedelta(seconds=seconds), now)
    if ends_at is None:
        return None
    if row.period_ends_at is not None:
        await service.shift_periods(
            session, row.user_id, row.period_ends_at, seconds, sub.starts_at
        )
    if ends_at > now:
        return Refunded(ends_at, ended=False)
    ended = await service.end(session, sub.id, now, revoked=False)
    return Refunded(ends_at, ended=ended)


def unused_seconds(row: StarPayment, sub: Subscription | None, now: datetime) -> int:
    """What refunding ``row`` takes back, in whole seconds: the part of the period it
    bought that has not elapsed yet (rounded up), never more than its days, and only from
    the subscription it was granted in. A period already over, or a subscription that
    ended since (a later one is paid for separately), gives 0."""
    if sub is None or not service.is_active(sub, now) or row.granted_at is None:
        return 0
    if row.granted_at < sub.starts_at:
        return 0
    bought = row.days * 86400
    if row.period_ends_at is None:  # granted before periods were recorded: its days
        return bought
    return max(0, min(bought, math.ceil((row.period_ends_at - now).total_seconds())))


def _payer_text(row: StarPayment, done: Refunded, tz: tzinfo) -> str:
    """The payer's message, the new end in ``tz`` (their zone)."""
    values = {"id": row.charge_id, "stars": number(row.stars)}
    if done.ended:
        text = _(
            "Your payment {id} ({stars} Stars) was refunded, so your VIP subscription has ended."
        )
        return text.format(**values)
    if done.ends_at is not None:
        ends = service.local(done.ends_at, tz)
        text = _(
            "Your payment {id} ({stars} Stars) was refunded; your VIP subscription now ends {ends}."
        )
        return text.format(**values, ends=ends)
    return _("Your payment {id} ({stars} Stars) was refunded.").format(**values)
