"""Renewing VIP: a Stars subscription Telegram charges every 30 days.

``/subscribe`` sends an invoice link made with ``subscription_period``; every charge of it
(the first and each renewal) goes through the stored-charge path (``settle.py``) and
extends access to exactly the period end Telegram gives (``subscription_expiration_date``).
Cancelling or re-enabling the renewal asks Telegram first (``editUserStarSubscription``)
and records the new state only once Telegram accepted it: a refusal or a network error
changes nothing here, and the user (or admin) is told so. Access runs until the paid end,
when the expiry job ends it as any other subscription.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update
from telegram.error import TelegramError

from bot.core.context import BotContext, Services
from bot.core.kernel import USER_ID_MAX, ascii_int, get_logger
from bot.core.people import N_, _, number, zone_for
from bot.modules.subscriptions import charges, payments, service, star_subscriptions
from bot.modules.subscriptions.models import StarPayment, StarSubscriptionState
from bot.modules.subscriptions.settings import SubscriptionSettings

log = get_logger(__name__)

PREFIX = "vipsub:"
CANCEL, ENABLE = "cancel", "enable"
SUBSCRIPTION_USAGE = N_(
    "Usage: /subscription <user_id> [cancel|enable] (without an action: show it)"
)


# -- the offer and its charges ---------------------------------------------------------


async def invoice_link(bot: Bot, user_id: int, stars: int) -> str:
    """A subscription invoice link for ``stars`` every 30 days, made for ``user_id``."""
    offer = payments.Offer(user_id, payments.PERIOD_DAYS, stars, renewing=True)
    return await bot.create_invoice_link(
        title=_("VIP subscription, renewing monthly"),
        description=_(
            "Access to the VIP chat, renewed every 30 days for {stars} Stars until you cancel."
        ).format(stars=number(stars)),
        payload=offer.payload(),
        currency=payments.CURRENCY,
        prices=[LabeledPrice(_("VIP, 30 days"), stars)],
        subscription_period=payments.PERIOD_SECONDS,
    )


def link_markup(link: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("Subscribe (renews monthly)"), url=link)]])


def offer_text(stars: int) -> str:
    return _(
        "VIP, renewing every 30 days for {stars} Stars: access to the VIP chat until you "
        "cancel (cancel or re-enable any time in /status)."
    ).format(stars=number(stars))


async def until(services: Services, user_id: int, expires_at: datetime) -> timedelta | None:
    """The whole seconds that bring the user's access to ``expires_at`` (from its current
    end if it runs, from now if not); None if it runs that long already."""
    now = services.clock.now()
    async with services.db.session() as session:
        sub = await service.get(session, user_id)
    base = sub.ends_at if sub is not None and service.is_active(sub, now) else now
    seconds = math.ceil((expires_at - base).total_seconds())
    return timedelta(seconds=seconds) if seconds > 0 else None


async def settle_covered(services: Services, charge_id: str) -> None:
    """A renewing charge whose period the access already covers: marked granted, nothing
    added (a charge arriving late, after an admin's grant ran past its end)."""
    async with services.db.session() as session:
        await charges.claim_grant(session, charge_id, services.clock.now())


def expiration_of(update: Update) -> datetime | None:
    """``subscription_expiration_date`` of a renewing charge (None for a one-off one)."""
    message = update.message
    payment = message.successful_payment if message else None
    if payment is None:
        return None
    return payment.subscription_expiration_date


# -- cancel and re-enable --------------------------------------------------------------


async def change(services: Services, bot: Bot, user_id: int, *, cancel: bool) -> str:
    """Cancel or re-enable the renewal of ``user_id``'s subscription: Telegram first, the
    record after; the answer (a refusal or an error changed nothing)."""
    async with services.db.session() as session:
        row = await star_subscriptions.get(session, user_id)
    now = services.clock.now()
    if row is None or row.expires_at <= now:
        return _("There is no renewing subscription; nothing changed.")
    wanted = StarSubscriptionState.CANCELED if cancel else StarSubscriptionState.ACTIVE
    if row.state == wanted:
        if cancel:
            return _("The renewal is already cancelled; nothing changed.")
        return _("The subscription already renews; nothing changed.")
    try:
        await bot.edit_user_star_subscription(user_id, row.first_charge_id, is_canceled=cancel)
    except TelegramError as exc:
        log.warning("editUserStarSubscription failed", user_id=user_id, error=str(exc))
        return _("Telegram did not accept the change ({error}); nothing changed.").format(error=exc)
    async with services.db.session() as session:
        await star_subscriptions.set_state(session, user_id, row.first_charge_id, wanted, now)
    log.info("star subscription changed", user_id=user_id, state=str(wanted))
    if cancel:
        return _("Renewal cancelled: access runs until the paid period ends.")
    return _("Renewal re-enabled: the subscription renews at the end of the period.")


async def end_on_refund(services: Services, bot: Bot, row: StarPayment) -> None:
    """A refunded renewing charge ends the renewal too (Telegram first; a refusal is logged
    and the renewal stays as it was on both sides)."""
    if row.subscription_expires_at is None:
        return
    async with services.db.session() as session:
        sub = await star_subscriptions.get(session, row.user_id)
    if sub is None or sub.state != StarSubscriptionState.ACTIVE:
        return
    answer = await change(services, bot, row.user_id, cancel=True)
    log.info("refund ended the renewal", user_id=row.user_id, answer=answer)


# -- /status and its buttons -----------------------------------------------------------


async def status_part(
    services: Services, user_id: int, tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The line /status adds about a renewing subscription, and its button."""
    now = services.clock.now()
    async with services.db.session() as session:
        row = await star_subscriptions.get(session, user_id)
    if row is None or row.expires_at <= now:
        return "", None
    ends = service.local(row.expires_at, tz)
    if row.state == StarSubscriptionState.ACTIVE:
        text = _("It renews on {ends} for {stars} Stars.").format(
            ends=ends, stars=number(row.stars)
        )
        button = InlineKeyboardButton(_("Cancel renewal"), callback_data=PREFIX + CANCEL)
    else:
        text = _("Renewal is cancelled: access ends on {ends}.").format(ends=ends)
        button = InlineKeyboardButton(_("Re-enable renewal"), callback_data=PREFIX + ENABLE)
    return text, InlineKeyboardMarkup([[button]])


async def pressed(update: Update, context: BotContext) -> None:
    """``vipsub:cancel`` / ``vipsub:enable`` under /status (its owner's only)."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    action = (query.data or "").removeprefix(PREFIX)
    if action not in (CANCEL, ENABLE):
        await query.answer(_("That button is not valid any more. Send /status again."))
        return
    services, user_id = context.services, query.from_user.id
    answer = await change(services, context.bot, user_id, cancel=action == CANCEL)
    await query.answer()
    async with services.db.session() as session:
        tz = await zone_for(session, user_id, services.settings.tz)
    line, markup = await status_part(services, user_id, tz)
    await query.edit_message_text(f"{answer}\n{line}".strip(), reply_markup=markup)


async def subscription(update: Update, context: BotContext) -> None:
    """``/subscription <user_id> [cancel|enable]``: an admin's view and change of a user's
    renewing subscription."""
    message, args = update.effective_message, context.args or []
    if message is None:
        return
    user_id = ascii_int(args[0], 1, USER_ID_MAX) if 1 <= len(args) <= 2 else None
    action = args[1].lower() if len(args) == 2 else None
    if user_id is None or action not in (None, CANCEL, ENABLE):
        await message.reply_text(_(SUBSCRIPTION_USAGE))
        return
    services = context.services
    if action is not None:
        answer = await change(services, context.bot, user_id, cancel=action == CANCEL)
        await message.reply_text(_("User {user}: {answer}").format(user=user_id, answer=answer))
        return
    line, _markup = await status_part(services, user_id, services.settings.tz)
    if not line:
        line = _("There is no renewing subscription; nothing changed.")
    await message.reply_text(_("User {user}: {answer}").format(user=user_id, answer=line))


def monthly_price(services: Services) -> int:
    return services.settings.of(SubscriptionSettings).vip_stars_monthly
