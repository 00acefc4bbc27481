"""Thin PTB callbacks: /grant, /revoke, /refund (admins), /status, /subscribe paid with
Stars, and the VIP chat's join requests and member changes."""

from __future__ import annotations

import re

from telegram import LabeledPrice, Message, Update

from bot.core.context import BotContext, Services
from bot.core.kernel import USER_ID_MAX, ascii_int, get_logger
from bot.core.people import N_, _, ngettext, number, zone_for
from bot.core.telegram import Arrival
from bot.modules.subscriptions import (
    access,
    by_admin,
    charges,
    gate,
    payments,
    refunds,
    renewing,
    service,
    settle,
)
from bot.modules.subscriptions.settings import SubscriptionSettings

log = get_logger(__name__)

GRANT_USAGE = N_("Usage: /grant <user_id> <duration>, e.g. /grant 123456789 30d (s, m, h, d or w).")
REVOKE_USAGE = N_("Usage: /revoke <user_id>")
REFUND_USAGE = N_("Usage: /refund <charge_id> (the payment id the payer and the admins were given)")
_CHARGE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,255}", re.ASCII)


async def _about_user(
    update: Update, context: BotContext, count: int, usage: str
) -> tuple[Message, int, list[str]] | None:
    """The message, the user id its first of ``count`` arguments names, and the arguments;
    None when they are not that (the admin was shown ``usage``) or there is no message."""
    message, args = update.effective_message, context.args or []
    if message is None:
        return None
    user_id = ascii_int(args[0], 1, USER_ID_MAX) if len(args) == count else None
    if user_id is None:
        await message.reply_text(_(usage))
        return None
    return message, user_id, args


async def grant(update: Update, context: BotContext) -> None:
    """Grant or extend a subscription and send the user a one-person invite link."""
    found = await _about_user(update, context, 2, GRANT_USAGE)
    if found is None or update.effective_user is None:
        return
    message, user_id, args = found
    services = context.services
    try:
        outcome = await by_admin.grant(
            services, context.bot, user_id, args[1], by=update.effective_user.id, via="chat"
        )
    except by_admin.UnknownUser:
        unknown = _("Nothing granted: user {user} has not started the bot (unknown user id).")
        await message.reply_text(unknown.format(user=user_id))
        return
    except (service.DurationError, access.AccessError) as exc:
        await message.reply_text(_("Nothing granted: {reason}.").format(reason=exc))
        return
    ends = service.local(outcome.grant.ends_at, services.settings.tz)
    if outcome.grant.extended:
        done = _("Extended: user {user} is subscribed until {ends}; invite link sent.")
    else:
        done = _("Granted: user {user} is subscribed until {ends}; invite link sent.")
    await message.reply_text(done.format(user=user_id, ends=ends))


async def revoke(update: Update, context: BotContext) -> None:
    """End a subscription now and remove the user from the VIP chat."""
    found = await _about_user(update, context, 1, REVOKE_USAGE)
    if found is None or update.effective_user is None:
        return
    message, user_id, _args = found
    try:
        await by_admin.revoke(
            context.services, context.bot, user_id, by=update.effective_user.id, via="chat"
        )
    except by_admin.NotActive:
        none = _("User {user} has no active subscription; nothing changed.")
        await message.reply_text(none.format(user=user_id))
        return
    await message.reply_text(
        _("Revoked: user {user} no longer has VIP access.").format(user=user_id)
    )


async def status(update: Update, context: BotContext) -> None:
    """Show the sender's subscription and when it ends."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    now = services.clock.now()
    async with services.db.session() as session:
        sub = await service.get(session, user.id)
        tz = await zone_for(session, user.id, services.settings.tz)
    if sub is not None and sub.status == "active" and sub.ends_at > now:
        text = _("Your VIP subscription is active until {ends}.")
    elif sub is not None:
        text = _("Your VIP subscription ended on {ends}.")
    else:
        text = _("You have no VIP subscription.")
    if sub is not None:
        text = text.format(ends=service.local(sub.ends_at, tz))
    line, markup = await renewing.status_part(services, user.id, tz)
    await message.reply_text(f"{text}\n{line}" if line else text, reply_markup=markup)


def _offer(context: BotContext, user_id: int) -> payments.Offer:
    settings = context.settings.of(SubscriptionSettings)
    return payments.Offer(user_id, settings.vip_stars_days, settings.vip_stars_price)


def _monthly(context: BotContext, user_id: int) -> payments.Offer | None:
    stars = context.settings.of(SubscriptionSettings).vip_stars_monthly
    if not stars:
        return None
    return payments.Offer(user_id, payments.PERIOD_DAYS, stars, renewing=True)


async def subscribe(update: Update, context: BotContext) -> None:
    """Send the renewing subscription's invoice link (``VIP_STARS_MONTHLY``) and/or a
    Telegram Stars invoice for ``VIP_STARS_DAYS`` days of VIP access."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    settings = context.settings.of(SubscriptionSettings)
    on_sale = settings.vip_stars_price > 0 or settings.vip_stars_monthly > 0
    if not on_sale or settings.vip_chat_id is None:
        await message.reply_text(_("VIP subscriptions cannot be bought here; ask an admin."))
        return
    if settings.vip_stars_monthly > 0:
        stars = settings.vip_stars_monthly
        link = await renewing.invoice_link(context.bot, user.id, stars)
        await message.reply_text(
            renewing.offer_text(stars), reply_markup=renewing.link_markup(link)
        )
    if settings.vip_stars_price == 0:
        return
    offer = _offer(context, user.id)
    await message.reply_invoice(
        title=_("VIP subscription"),
        description=ngettext(
            "{days} day of access to the VIP chat.",
            "{days} days of access to the VIP chat.",
            offer.days,
        ).format(days=number(offer.days)),
        payload=offer.payload(),
        currency=payments.CURRENCY,
        prices=[LabeledPrice(_price_label(offer.days), offer.stars)],
    )  # no provider token: Stars payments take none


def _price_label(days: int) -> str:
    label = ngettext("VIP, {days} day", "VIP, {days} days", days)
    return label.format(days=number(days))


async def pre_checkout(update: Update, context: BotContext) -> None:
    """Accept the payment only for the payer's own, current, correctly priced invoice."""
    query = update.pre_checkout_query
    if query is None:
        return
    try:
        payments.check(
            query.invoice_payload,
            payer=query.from_user.id,
            currency=query.currency,
            amount=query.total_amount,
            current=_offer(context, query.from_user.id),
            monthly=_monthly(context, query.from_user.id),
        )
        if context.settings.vip_chat_id is None:
            raise payments.PaymentError(_("VIP subscriptions are not on sale at the moment."))
    except payments.PaymentError as exc:
        log.info("pre-checkout refused", user_id=query.from_user.id, reason=str(exc))
        await query.answer(ok=False, error_message=str(exc))
        return
    await query.answer(ok=True)


def charge_of(update: Update) -> charges.Charge | None:
    """The Stars charge a ``successful_payment`` message carries; None for anything else."""
    message, user = update.message, update.effective_user
    payment = message.successful_payment if message else None
    if user is None or payment is None:
        return None
    return charges.Charge(
        payment.telegram_payment_charge_id,
        user.id,
        payment.total_amount,
        payment.currency,
        payment.invoice_payload,
        renewing.expiration_of(update) if payment.is_recurring else None,
        bool(payment.is_first_recurring),
    )


def store_on_arrival(services: Services) -> Arrival:
    """The arrival that stores a charge before Telegram is told its update was received
    (``bot/core/telegram/arrival.py``): a kill -9 before the payer's chat has its turn
    loses nothing, and ``subscriptions.settle_payments`` grants what was stored."""

    async def store(update: Update) -> None:
        charge = charge_of(update)
        if charge is None:
            return
        async with services.db.session() as session:
            await charges.store(session, charge, services.clock.now())
        log.info("Stars payment stored on arrival", charge_id=charge.charge_id)

    return store


async def paid(update: Update, context: BotContext) -> None:
    """A successful Stars payment: stored (on arrival, and again here if that could not be
    done), then granted, once per charge id."""
    message, charge = update.effective_message, charge_of(update)
    if message is None or charge is None:
        return
    answer = await settle.receive(context.services, context.bot, charge)
    if answer is not None:
        await message.reply_text(answer)


async def refund(update: Update, context: BotContext) -> None:
    """Refund a Stars payment and take back the access it bought."""
    message, args = update.effective_message, context.args or []
    if message is None:
        return
    if len(args) != 1 or not _CHARGE_ID.fullmatch(args[0]):
        await message.reply_text(_(REFUND_USAGE))
        return
    await message.reply_text(await refunds.refund(context.services, context.bot, args[0]))


async def join_request(update: Update, context: BotContext) -> None:
    """Someone asks to join the VIP chat through an invite link."""
    request = update.chat_join_request
    if request is None:
        return
    link = request.invite_link.invite_link if request.invite_link else None
    await gate.decide_join(
        context.services, context.bot, request.chat.id, request.from_user.id, link
    )


async def member_changed(update: Update, context: BotContext) -> None:
    """Someone's membership of a chat changed: an unexpected VIP member is removed."""
    change = update.chat_member
    if change is None or not gate.joined(change.old_chat_member, change.new_chat_member):
        return
    user_id = change.new_chat_member.user.id
    await gate.check_member(context.services, context.bot, change.chat.id, user_id)
