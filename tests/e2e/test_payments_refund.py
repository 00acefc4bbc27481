"""/refund <charge_id>: the Stars go back and the access they bought ends (what is left of
its own period, never a later one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.kernel.clock import ManualClock
from bot.modules.subscriptions.models import InviteLink
from bot.modules.subscriptions.service import local
from tests.conftest import ADMIN
from tests.e2e.conftest import VIP, Harness
from tests.helpers.chat import answer, told
from tests.helpers.clocks import START
from tests.helpers.stars import USER, charge_row, pay, selling, subscription


async def _still_granted(h: Harness, charge: str) -> None:
    """The payment is still granted, and the subscription it bought still runs 30 days."""
    row = await charge_row(h, charge)
    assert row is not None and row.state == "granted"
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + timedelta(days=30)


async def test_refund_ends_the_access_it_bought(harness_factory: Callable[..., Any]) -> None:
    """Refunding the only payment refunds at Telegram, ends the subscription, removes the
    user from the VIP chat, revokes their link and tells them; a second /refund does nothing."""
    h = await selling(harness_factory)
    charge = await pay(h)
    await told(h, USER, "Thank you! VIP until")
    world = h.sandbox.world
    reply = await answer(h, ADMIN, f"/refund {charge}", "Refunded")
    assert f"50 Stars to user {USER}" in reply and "has ended" in reply
    assert world.refunds == [(USER, charge)]
    row = await charge_row(h, charge)
    assert row is not None and row.state == "refunded" and row.refunded_at is not None
    sub = await subscription(h)
    assert sub is not None and sub.status != "active" and sub.ends_at == START
    assert world.moderation == [("ban", VIP, USER), ("unban", VIP, USER)]
    assert all(link["is_revoked"] for link in world.invite_links)
    async with h.services.db.session() as session:
        link = await session.get(InviteLink, 1)
    assert link is not None and link.revoked_at is not None
    await told(h, USER, f"Your payment {charge} (50 Stars) was refunded", "has ended")

    await answer(h, ADMIN, f"/refund {charge}", "refunded already; nothing changed")
    assert world.refunds == [(USER, charge)] and len(world.moderation) == 2


async def test_refund_takes_back_only_the_days_it_bought(
    harness_factory: Callable[..., Any],
) -> None:
    """With 10 granted days on top of a 30-day payment, a refund leaves the 10 days."""
    h = await selling(harness_factory)
    await answer(h, ADMIN, f"/grant {USER} 10d", "Granted")
    charge = await pay(h)
    await told(h, USER, "Thank you! VIP until")
    reply = await answer(h, ADMIN, f"/refund {charge}", "Refunded")
    ends = local(START + timedelta(days=10), ZoneInfo("UTC"))  # as the reader writes dates
    assert f"now ends {ends}" in reply
    sub = await subscription(h)
    assert sub is not None and sub.status == "active"
    assert sub.ends_at == START + timedelta(days=10)
    assert h.sandbox.world.moderation == []
    await told(h, USER, f"was refunded; your VIP subscription now ends {ends}")


async def test_bad_refunds_change_nothing(harness_factory: Callable[..., Any]) -> None:
    """An unknown charge id, a malformed or missing argument and a non-admin are refused:
    no refund at Telegram, the payment and the subscription as they were."""
    h = await selling(harness_factory)
    charge = await pay(h)
    await told(h, USER, "Thank you! VIP until")
    await answer(h, ADMIN, "/refund stxNOSUCHCHARGE", "No Stars payment with charge id")
    await answer(h, ADMIN, "/refund", "Usage: /refund <charge_id>")
    await answer(h, ADMIN, f"/refund {charge} {charge}", "Usage: /refund <charge_id>")
    await answer(h, ADMIN, "/refund st/x", "Usage: /refund <charge_id>")
    await answer(h, USER, f"/refund {charge}", "admins only")
    assert h.sandbox.world.refunds == []
    await _still_granted(h, charge)


async def test_a_refund_telegram_refuses_changes_nothing(
    harness_factory: Callable[..., Any],
) -> None:
    """Telegram refusing the refund (it does not know the charge) leaves it granted."""
    h = await selling(harness_factory)
    charge = await pay(h)
    await told(h, USER, "Thank you! VIP until")
    h.sandbox.world.payments.clear()  # Telegram no longer knows this charge
    await answer(h, ADMIN, f"/refund {charge}", "Telegram refused to refund")
    await _still_granted(h, charge)


async def test_refunding_a_waiting_charge_means_it_is_never_granted(
    harness_factory: Callable[..., Any],
) -> None:
    """A charge still waiting for its grant (Telegram refusing the link) can be refunded;
    the settle job then has nothing to grant, even once the link works again."""
    h = await selling(harness_factory)
    world = h.sandbox.world
    vip = world.chats.pop(VIP)
    charge = await pay(h)
    await told(h, USER, "safely recorded", charge)
    reply = await answer(h, ADMIN, f"/refund {charge}", "Refunded")
    assert "no subscription time to take back" in reply and world.refunds == [(USER, charge)]
    world.chats[VIP] = vip
    assert await h.run_job("subscriptions.settle_payments") == "granted 0 of 0 waiting payments"
    assert await subscription(h) is None and world.invite_links == []


async def test_an_unusable_payload_is_kept_reported_and_refundable(
    harness_factory: Callable[..., Any],
) -> None:
    """A payment whose payload names nothing is stored as unusable, the payer and admins
    are told, nothing is granted or retried, and /refund gives the Stars back."""
    h = await selling(harness_factory)
    world = h.sandbox.world
    world.deliver_payment(USER, "stxODD1", "vip:garbage", 50)
    await told(h, USER, "invoice was not valid", "stxODD1")
    await told(h, ADMIN, "stxODD1", "unusable payload")
    row = await charge_row(h, "stxODD1")
    assert row is not None and row.state == "unusable" and row.days == 0
    assert await h.run_job("subscriptions.settle_payments") == "granted 0 of 0 waiting payments"
    await answer(h, ADMIN, "/refund stxODD1", "Refunded stxODD1: 50 Stars")
    assert world.refunds == [(USER, "stxODD1")] and await subscription(h) is None


async def _paid(h: Harness, times: int) -> None:
    """Wait until the payer was thanked ``times`` times (each payment granted)."""

    def thanked() -> bool:
        texts = (m.text or "" for m in h.sandbox.world.to(USER))
        return sum("Thank you! VIP until" in text for text in texts) >= times

    await h.wait(thanked)


async def test_a_refund_leaves_a_later_separately_paid_period_alone(
    harness_factory: Callable[..., Any],
) -> None:
    """A payment whose 30 days ran out, refunded while a second payment (made after the
    subscription had ended) runs, takes nothing off the second one."""
    h = await selling(harness_factory)
    clock = h.services.clock
    assert isinstance(clock, ManualClock)
    first = await pay(h)
    await _paid(h, 1)
    clock.advance(timedelta(days=40))
    assert await h.run_job("subscriptions.expire") == "expired 1, removed 1 from the VIP chat"
    await pay(h)
    await _paid(h, 2)
    world = h.sandbox.world
    removals, revoked = len(world.moderation), sum(x["is_revoked"] for x in world.invite_links)
    reply = await answer(h, ADMIN, f"/refund {first}", "Refunded")
    assert "no subscription time to take back" in reply
    sub = await subscription(h)
    assert sub is not None and sub.status == "active"
    assert sub.ends_at == START + timedelta(days=70)
    assert len(world.moderation) == removals
    assert sum(x["is_revoked"] for x in world.invite_links) == revoked
    await told(h, USER, f"Your payment {first} (50 Stars) was refunded.")


async def test_a_refund_takes_back_what_is_left_of_its_own_period(
    harness_factory: Callable[..., Any],
) -> None:
    """Two payments back to back (days 0-30 and 30-60), the first refunded on day 10:
    its 20 days not yet used come off (the end moves to day 40), never the second's;
    refunding the second then takes its whole 30 days (now days 10-40) and ends it."""
    h = await selling(harness_factory)
    clock = h.services.clock
    assert isinstance(clock, ManualClock)
    first = await pay(h)
    await _paid(h, 1)
    clock.advance(timedelta(days=5))
    second = await pay(h)
    await _paid(h, 2)
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + timedelta(days=60)
    clock.advance(timedelta(days=5))
    reply = await answer(h, ADMIN, f"/refund {first}", "Refunded")
    ends = local(START + timedelta(days=40), ZoneInfo("UTC"))
    assert f"now ends {ends}" in reply
    sub = await subscription(h)
    assert sub is not None and sub.status == "active"
    assert sub.ends_at == START + timedelta(days=40)
    reply = await answer(h, ADMIN, f"/refund {second}", "Refunded")
    assert "has ended" in reply
    sub = await subscription(h)
    assert sub is not None and sub.status != "active" and sub.ends_at == clock.now()
    assert h.sandbox.world.moderation == [("ban", VIP, USER), ("unban", VIP, USER)]
