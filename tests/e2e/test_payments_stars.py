"""/subscribe paid with Telegram Stars, through the real bot and the sandbox's payment flow."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core.kernel.clock import ManualClock
from bot.modules.subscriptions.models import StarPayment, Subscription
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from tests.e2e.conftest import Harness
from tests.helpers.clocks import START

USER, OTHER = 5151, 5252


async def _bot(factory: Callable[..., Any], **settings: Any) -> Harness:
    h: Harness = await factory(
        clock=ManualClock(START), vip_stars_price=50, vip_stars_days=30, **settings
    )
    h.sandbox.set_limits(FloodLimits(private=None))
    for user_id in (USER, OTHER):
        await h.reply(user_id, "/start")
    return h


async def _invoice(h: Harness, user_id: int) -> SentMessage:
    [invoice] = await h.say(user_id, "/subscribe")
    assert invoice.method == "sendInvoice"
    return invoice


async def _ends_at(h: Harness) -> datetime | None:
    async with h.services.db.session() as session:
        return await session.scalar(
            select(Subscription.ends_at).where(Subscription.user_id == USER)
        )


async def _payments(h: Harness) -> int:
    async with h.services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(StarPayment)) or 0)


def _pre_checkout_answers(h: Harness) -> list[dict[str, Any]]:
    return [a for a in h.sandbox.world.callback_answers if a.get("pre_checkout")]


async def test_stars_payment_grants_once_per_charge(harness_factory: Callable[..., Any]) -> None:
    """A Stars invoice paid grants 30 days and sends the invite link; the same payment
    delivered again changes nothing; a second payment extends by another 30 days."""
    h = await _bot(harness_factory)
    invoice = await _invoice(h, USER)
    assert invoice.params["currency"] == "XTR" and not invoice.params.get("provider_token")
    assert invoice.params["prices"] == [{"label": "VIP, 30 days", "amount": 50}]
    assert invoice.params["payload"] == f"vip:{USER}:30:50"
    world = h.sandbox.world
    world.pay(USER, invoice)
    await h.wait(lambda: any("Thank you! VIP until" in (m.text or "") for m in world.to(USER)))
    await h.wait(lambda: any("https://t.me/+sandbox" in (m.text or "") for m in world.to(USER)))
    assert _pre_checkout_answers(h)[0]["ok"] in (True, "true")
    assert await _ends_at(h) == START + timedelta(days=30)

    world.push({"message": world.payments[0]})  # Telegram delivers the same payment again
    await h.idle()
    assert await _ends_at(h) == START + timedelta(days=30)
    assert len(world.invite_links) == 1 and await _payments(h) == 1

    world.pay(USER, await _invoice(h, USER))
    await h.wait(lambda: len(world.payments) == 2)
    for _ in range(40):
        if await _ends_at(h) == START + timedelta(days=60):
            break
        await asyncio.sleep(0.25)
    assert await _ends_at(h) == START + timedelta(days=60) and await _payments(h) == 2


async def test_pre_checkout_refuses_foreign_or_forged_invoices(
    harness_factory: Callable[..., Any],
) -> None:
    """Paying someone else's invoice, a forged payload or a wrong amount is refused at
    pre-checkout: no payment, no subscription."""
    h = await _bot(harness_factory)
    invoice = await _invoice(h, USER)
    forged = dataclasses.replace(invoice, params={**invoice.params, "payload": "vip:x"})
    cheap = dataclasses.replace(
        invoice,
        params={
            **invoice.params,
            "payload": f"vip:{USER}:30:1",
            "prices": [{"label": "x", "amount": 1}],
        },
    )
    world = h.sandbox.world
    world.pay(OTHER, invoice)
    world.pay(USER, forged)
    world.pay(USER, cheap)
    await h.wait(lambda: len(_pre_checkout_answers(h)) == 3)
    answers = _pre_checkout_answers(h)
    assert all(a["ok"] in (False, "false") for a in answers)
    reasons = " ".join(str(a["error_message"]) for a in answers)
    assert "someone else" in reasons and "not valid" in reasons and "price has changed" in reasons
    await h.idle()
    assert world.payments == [] and await _ends_at(h) is None and await _payments(h) == 0


async def test_subscribe_without_a_price_is_refused(harness: Harness) -> None:
    """With VIP_STARS_PRICE unset (0), /subscribe sends no invoice and says so."""
    assert "cannot be bought" in await harness.reply(USER, "/subscribe")
    assert harness.sandbox.stats["sendInvoice"] == 0
