"""Paying for VIP with Telegram Stars: the invoice payload, its checks, and the payment record.

The payload names who pays for what (``vip:<user>:<days>:<stars>``), so the
pre-checkout query can be checked against the current offer without any state, and
the successful payment says what to grant. The charge itself is kept by
``charges.py`` (stored first, granted once).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.kernel import USER_ID_MAX, ascii_int
from bot.core.people import _

CURRENCY = "XTR"  # Telegram Stars
# A renewing subscription's period: Telegram allows 30 days only, and 10,000 Stars at most.
PERIOD_SECONDS, PERIOD_DAYS, MONTHLY_MAX = 2_592_000, 30, 10_000
# The largest offer a payload may name (VIP_STARS_DAYS and VIP_STARS_PRICE stay within them).
DAYS_MAX, STARS_MAX = 3650, 100_000


@dataclass(frozen=True, slots=True)
class Offer:
    """What one /subscribe invoice sells."""

    user_id: int
    days: int
    stars: int
    renewing: bool = False  # a Stars subscription that renews every 30 days

    def payload(self) -> str:
        if self.renewing:
            return f"vipm:{self.user_id}:{self.stars}"
        return f"vip:{self.user_id}:{self.days}:{self.stars}"


class PaymentError(ValueError):
    """A pre-checkout query or payment that must be refused; the message is for the payer."""


def parse_payload(payload: str) -> Offer:
    """``vip:<user>:<days>:<stars>`` (or ``vipm:<user>:<stars>``, renewing every 30 days)
    -> :class:`Offer`; PaymentError for anything else."""
    parts = payload.split(":")
    if len(parts) == 3 and parts[0] == "vipm":
        user_id = ascii_int(parts[1], 1, USER_ID_MAX)
        stars = ascii_int(parts[2], 1, MONTHLY_MAX)
        if user_id is not None and stars is not None:
            return Offer(user_id, PERIOD_DAYS, stars, renewing=True)
    if len(parts) == 4 and parts[0] == "vip":
        user_id = ascii_int(parts[1], 1, USER_ID_MAX)
        days = ascii_int(parts[2], 1, DAYS_MAX)
        stars = ascii_int(parts[3], 1, STARS_MAX)
        if user_id is not None and days is not None and stars is not None:
            return Offer(user_id, days, stars)
    raise PaymentError(_("This invoice is not valid. Send /subscribe for a new one."))


def check(
    payload: str,
    *,
    payer: int,
    currency: str,
    amount: int,
    current: Offer,
    monthly: Offer | None = None,
) -> Offer:
    """The offer a pre-checkout query pays for, if it is still the one on sale to ``payer``
    (``monthly``: the renewing offer, None when it is not on sale)."""
    offer = parse_payload(payload)
    if offer.renewing:
        current = monthly or Offer(payer, PERIOD_DAYS, 0, renewing=True)
    if offer.user_id != payer:
        raise PaymentError(_("This invoice was made for someone else. Send /subscribe yourself."))
    if currency != CURRENCY or amount != offer.stars:
        raise PaymentError(_("The amount does not match the invoice. Send /subscribe again."))
    if (offer.days, offer.stars) != (current.days, current.stars):
        raise PaymentError(_("The price has changed since this invoice. Send /subscribe again."))
    return offer
