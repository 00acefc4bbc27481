"""Guards pinned down to the line: each test here kills mutants (``make mutate``) that the
behaviour tests let live -- a refusal that must say which refusal it is, a bound that must be
exactly where it is. docs/mutation.md lists what each one kills."""

from __future__ import annotations

import pytest

from bot.core.kernel import USER_ID_MAX
from bot.core.people import speaking
from bot.modules.subscriptions.payments import (
    CURRENCY,
    DAYS_MAX,
    STARS_MAX,
    Offer,
    PaymentError,
    check,
    parse_payload,
)

PAYER = 42
OFFER = Offer(PAYER, 30, 50)


def _refusal(payload: str, **given: object) -> str:
    values: dict[str, object] = {
        "payer": PAYER,
        "currency": CURRENCY,
        "amount": 50,
        "current": OFFER,
    }
    values.update(given)
    with speaking("en"), pytest.raises(PaymentError) as refused:
        check(payload, **values)  # type: ignore[arg-type]
    return str(refused.value)


# -- pre-checkout amount ------------------------------------------------------------------


def test_the_offer_on_sale_passes_the_check() -> None:
    assert check("vip:42:30:50", payer=PAYER, currency=CURRENCY, amount=50, current=OFFER) == OFFER


def test_each_pre_checkout_refusal_says_which_it_is() -> None:
    assert _refusal("vip:42:30") == "This invoice is not valid. Send /subscribe for a new one."
    assert _refusal("vip:42:30:50", payer=43) == (
        "This invoice was made for someone else. Send /subscribe yourself."
    )
    amount = "The amount does not match the invoice. Send /subscribe again."
    assert _refusal("vip:42:30:50", amount=49) == amount
    assert _refusal("vip:42:30:50", amount=51) == amount
    assert _refusal("vip:42:30:50", currency="USD") == amount  # the right number, not in Stars
    assert _refusal("vip:42:30:50", currency="") == amount
    changed = "The price has changed since this invoice. Send /subscribe again."
    assert _refusal("vip:42:30:50", current=Offer(PAYER, 30, 60)) == changed
    assert _refusal("vip:42:30:50", current=Offer(PAYER, 31, 50)) == changed


def test_the_payload_is_four_parts_the_first_vip() -> None:
    assert parse_payload("vip:1:1:1") == Offer(1, 1, 1)
    for payload in ("vip:1:1", "vip:1:1:1:1", "VIP:1:1:1", "xvip:1:1:1", "", "vip", ":1:1:1"):
        with pytest.raises(PaymentError):
            parse_payload(payload)


def test_the_payload_bounds_are_exactly_the_documented_ones() -> None:
    top = f"vip:{USER_ID_MAX}:{DAYS_MAX}:{STARS_MAX}"
    assert parse_payload(top) == Offer(USER_ID_MAX, DAYS_MAX, STARS_MAX)
    for payload in (
        "vip:0:1:1",
        "vip:1:0:1",
        "vip:1:1:0",
        f"vip:{USER_ID_MAX + 1}:1:1",
        f"vip:1:{DAYS_MAX + 1}:1",
        f"vip:1:1:{STARS_MAX + 1}",
    ):
        with pytest.raises(PaymentError):
            parse_payload(payload)
