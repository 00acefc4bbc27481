"""The pre-checkout amount check on its own: an invoice whose price was changed and nothing
else (payload, offer and currency as sold) is refused, through the real bot and the sandbox."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.kernel.clock import ManualClock
from bot.modules.subscriptions.models import StarPayment, Subscription
from bot.sandbox.flood import FloodLimits
from tests.e2e.conftest import Harness
from tests.helpers.clocks import START

USER = 5353


async def _stored(h: Harness) -> tuple[int, int]:
    """(Stars payments, subscriptions) in the database."""
    async with h.services.db.session() as session:
        payments = await session.scalar(select(func.count()).select_from(StarPayment))
        subscriptions = await session.scalar(select(func.count()).select_from(Subscription))
    return int(payments or 0), int(subscriptions or 0)


@pytest.mark.parametrize("amount", [1, 51])
async def test_pre_checkout_refuses_an_amount_the_invoice_does_not_name(
    harness_factory: Callable[..., Any], amount: int
) -> None:
    """Only the amount differs from the invoice (its payload ``vip:<user>:30:50`` is the
    payer's and the offer on sale, the currency is XTR): the pre-checkout is answered
    ok=false with the amount message, and no payment or subscription is stored."""
    h: Harness = await harness_factory(
        clock=ManualClock(START), vip_stars_price=50, vip_stars_days=30
    )
    h.sandbox.set_limits(FloodLimits(private=None))
    await h.reply(USER, "/start")
    [invoice] = await h.say(USER, "/subscribe")
    assert invoice.params["payload"] == f"vip:{USER}:30:50" and invoice.params["currency"] == "XTR"
    prices = [{"label": "VIP, 30 days", "amount": amount}]
    repriced = dataclasses.replace(invoice, params={**invoice.params, "prices": prices})
    world = h.sandbox.world
    world.pay(USER, repriced)
    await h.wait(lambda: any(a.get("pre_checkout") for a in world.callback_answers))
    [answer] = [a for a in world.callback_answers if a.get("pre_checkout")]
    assert answer["ok"] in (False, "false")
    assert "amount does not match the invoice" in str(answer["error_message"])
    await h.idle()
    assert world.payments == [] and await _stored(h) == (0, 0)
