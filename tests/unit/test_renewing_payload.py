"""The renewing subscription's invoice payload (``vipm:<user>:<stars>``) and its
pre-checkout check: total over any text, round-tripping, never taking other digits."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.kernel.parse import USER_ID_MAX
from bot.modules.subscriptions.payments import (
    MONTHLY_MAX,
    PERIOD_DAYS,
    Offer,
    PaymentError,
    check,
    parse_payload,
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIGITISH = st.text(alphabet="0123456789²¹١٢３𝟙-+_:. |", max_size=24)


@FAST
@given(st.builds("vipm:{}".format, DIGITISH) | st.text(max_size=40))
def test_renewing_payload_is_total(payload: str) -> None:
    """Any payload: an Offer within bounds (30 days, 1-10,000 Stars), or PaymentError."""
    try:
        offer = parse_payload(payload)
    except PaymentError:
        return
    assert 1 <= offer.user_id <= USER_ID_MAX
    if offer.renewing:
        assert offer.days == PERIOD_DAYS and 1 <= offer.stars <= MONTHLY_MAX


@FAST
@given(st.integers(1, USER_ID_MAX), st.integers(1, MONTHLY_MAX))
def test_renewing_payload_round_trips(user_id: int, stars: int) -> None:
    offer = Offer(user_id, PERIOD_DAYS, stars, renewing=True)
    assert offer.payload() == f"vipm:{user_id}:{stars}"
    assert parse_payload(offer.payload()) == offer


@pytest.mark.parametrize(
    "payload", ["vipm:¹:50", "vipm:1:٥٠", "vipm:1:0", "vipm:1:10001", "vipm:1:30:50", "vipm:1"]
)
def test_renewing_payload_refusals(payload: str) -> None:
    with pytest.raises(PaymentError, match="not valid"):
        parse_payload(payload)


def test_pre_checkout_of_a_renewing_invoice() -> None:
    """Checked against the monthly offer on sale, never against the one-off one."""
    one_off = Offer(7, 30, 50)
    monthly = Offer(7, PERIOD_DAYS, 100, renewing=True)
    payload = monthly.payload()
    kw = {"payer": 7, "currency": "XTR", "current": one_off}
    assert check(payload, amount=100, monthly=monthly, **kw) == monthly  # type: ignore[arg-type]
    with pytest.raises(PaymentError, match="price has changed"):
        check(payload, amount=100, monthly=Offer(7, 30, 90, renewing=True), **kw)  # type: ignore[arg-type]
    with pytest.raises(PaymentError, match="price has changed"):
        check(payload, amount=100, monthly=None, **kw)  # type: ignore[arg-type]
    with pytest.raises(PaymentError, match="someone else"):
        check(payload, amount=100, monthly=monthly, payer=8, currency="XTR", current=one_off)
