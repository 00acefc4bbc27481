"""Renewing VIP against the sandbox: a Stars subscription (createInvoiceLink with
subscription_period) whose every charge extends access to exactly Telegram's period end,
once per charge; cancel and re-enable recorded only after Telegram accepted them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core.kernel.clock import ManualClock
from bot.modules.subscriptions.models import StarPayment, StarSubscription
from bot.sandbox import SentMessage
from bot.sandbox.server import ApiError
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.chat import told
from tests.helpers.clocks import START
from tests.helpers.stars import USER, selling, subscription

MONTH = timedelta(days=30)
MONTHLY = 100


async def renewing_bot(factory: Callable[..., Any]) -> Harness:
    h = await selling(factory, vip_stars_monthly=MONTHLY)
    h.sandbox.world.star_clock = lambda: h.services.clock.now().timestamp()
    return h


def _clock(h: Harness) -> ManualClock:
    clock = h.services.clock
    assert isinstance(clock, ManualClock)
    return clock


async def _subscribe(h: Harness) -> str:
    """/subscribe, pay the renewing link; the first charge id once access was granted."""
    sent = await h.say(USER, "/subscribe", replies=2)
    [offer] = [m for m in sent if m.method == "sendMessage" and m.buttons()]
    assert "renewing every 30 days" in (offer.text or "")
    link = str(offer.buttons()[0]["url"])
    params = h.sandbox.world.invoice_links[link]
    assert params["subscription_period"] == 2592000
    assert params["payload"] == f"vipm:{USER}:{MONTHLY}"
    assert any(m.method == "sendInvoice" for m in sent)  # the one-off purchase stays
    world = h.sandbox.world
    paid = len(world.payments)
    world.subscribe(USER, link)
    await h.wait(lambda: len(world.payments) > paid)
    await told(h, USER, "Join the VIP chat")
    await h.idle()
    charge: str = world.payments[-1]["successful_payment"]["telegram_payment_charge_id"]
    return charge


async def _star_sub(h: Harness) -> StarSubscription:
    async with h.services.db.session() as session:
        row = await session.scalar(select(StarSubscription).where(StarSubscription.user_id == USER))
    assert row is not None
    return row


async def _granted(h: Harness) -> int:
    async with h.services.db.session() as session:
        query = select(func.count()).where(StarPayment.state == "granted")
        return int(await session.scalar(query.select_from(StarPayment)) or 0)


def _sandbox_expiry(h: Harness) -> datetime:
    return datetime.fromtimestamp(h.sandbox.world.star_subscriptions[USER]["expires"], UTC)


async def _status(h: Harness) -> SentMessage:
    [sent] = await h.say(USER, "/status")
    return sent


async def _press(h: Harness, message: SentMessage, data: str) -> None:
    world = h.sandbox.world
    edits = message.edits
    world.press(USER, message, data)
    await h.wait(lambda: message.edits > edits)
    await h.idle()


async def test_three_renewals_each_extend_once_even_delivered_twice(
    harness_factory: Callable[..., Any],
) -> None:
    h = await renewing_bot(harness_factory)
    first = await _subscribe(h)
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + MONTH == _sandbox_expiry(h)
    row = await _star_sub(h)
    assert (row.first_charge_id, row.state, row.stars) == (first, "active", MONTHLY)
    world = h.sandbox.world
    for month in (1, 2, 3):
        _clock(h).set(START + month * MONTH - timedelta(hours=1))
        renewal = world.renew(USER)
        assert renewal is not None
        await h.idle()
        world.push({"message": renewal})  # Telegram delivers the same renewal again
        await h.idle()
        sub = await subscription(h)
        assert sub is not None and sub.status == "active"
        assert sub.ends_at == START + (month + 1) * MONTH == _sandbox_expiry(h)
        assert await _granted(h) == month + 1
    row = await _star_sub(h)
    assert row.first_charge_id == first and row.expires_at == START + 4 * MONTH
    status = await _status(h)
    assert "renews on" in (status.text or "")
    assert [b["text"] for b in status.buttons()] == ["Cancel renewal"]


async def test_cancelled_is_never_renewed_and_ends_at_the_paid_end(
    harness_factory: Callable[..., Any],
) -> None:
    h = await renewing_bot(harness_factory)
    await _subscribe(h)
    status = await _status(h)
    await _press(h, status, "vipsub:cancel")
    assert "Renewal cancelled" in (status.text or "")
    assert [b["text"] for b in status.buttons()] == ["Re-enable renewal"]
    assert h.sandbox.world.star_subscriptions[USER]["canceled"] is True
    assert (await _star_sub(h)).state == "canceled"

    await _press(h, status, "vipsub:enable")  # re-enabled, then cancelled again
    assert h.sandbox.world.star_subscriptions[USER]["canceled"] is False
    assert (await _star_sub(h)).state == "active"
    await _press(h, status, "vipsub:cancel")
    assert (await _star_sub(h)).state == "canceled"

    _clock(h).set(START + MONTH - timedelta(hours=1))
    assert h.sandbox.world.renew(USER) is None  # Telegram does not charge a cancelled one
    await h.idle()
    assert await h.run_job("subscriptions.expire") is not None
    sub = await subscription(h)
    assert sub is not None and sub.status == "active"  # still paid for an hour
    _clock(h).set(START + MONTH + timedelta(seconds=1))
    await h.run_job("subscriptions.expire")
    sub = await subscription(h)
    assert sub is not None and sub.status == "expired" and sub.ends_at == START + MONTH
    assert await _granted(h) == 1
    await told(h, USER, "Your VIP subscription has ended")

    again = await _subscribe(h)  # subscribing anew starts a new subscription
    row = await _star_sub(h)
    assert (row.first_charge_id, row.state) == (again, "active")
    assert row.expires_at == START + 2 * MONTH + timedelta(seconds=1)
    sub = await subscription(h)
    assert sub is not None and sub.status == "active" and sub.ends_at == row.expires_at


async def test_telegram_refusing_the_change_leaves_the_state_as_it_was(
    harness_factory: Callable[..., Any],
) -> None:
    h = await renewing_bot(harness_factory)
    await _subscribe(h)
    h.sandbox.world.refuse_subscription_edits = "Bad Request: SUBSCRIPTION_NOT_MODIFIED"
    status = await _status(h)
    await _press(h, status, "vipsub:cancel")
    assert "did not accept" in (status.text or "") and "nothing changed" in (status.text or "")
    assert [b["text"] for b in status.buttons()] == ["Cancel renewal"]
    assert (await _star_sub(h)).state == "active"
    assert h.sandbox.world.star_subscriptions[USER]["canceled"] is False
    # the admin's command meets the same refusal, and changes nothing either
    answer = await h.reply(ADMIN, f"/subscription {USER} cancel")
    assert "nothing changed" in answer
    assert (await _star_sub(h)).state == "active"
    # a network error (Telegram's 502) changes nothing either
    h.sandbox.world.refuse_subscription_edits = None

    def bad_gateway(_params: dict[str, Any]) -> None:
        raise ApiError(502, "Bad Gateway")

    h.sandbox.before["editUserStarSubscription"] = bad_gateway
    answer = await h.reply(ADMIN, f"/subscription {USER} cancel")
    assert "Bad Gateway" in answer and "nothing changed" in answer
    assert (await _star_sub(h)).state == "active"
    assert h.sandbox.world.star_subscriptions[USER]["canceled"] is False
    del h.sandbox.before["editUserStarSubscription"]
    # Telegram accepts it again: renewed as before
    _clock(h).set(START + MONTH - timedelta(hours=1))
    assert h.sandbox.world.renew(USER) is not None
    await h.idle()
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + 2 * MONTH


async def test_admin_cancels_and_re_enables_any_users_renewal(
    harness_factory: Callable[..., Any],
) -> None:
    h = await renewing_bot(harness_factory)
    await _subscribe(h)
    assert "renews on" in await h.reply(ADMIN, f"/subscription {USER}")
    assert "Renewal cancelled" in await h.reply(ADMIN, f"/subscription {USER} cancel")
    assert h.sandbox.world.star_subscriptions[USER]["canceled"] is True
    assert (await _star_sub(h)).state == "canceled"
    assert "already cancelled" in await h.reply(ADMIN, f"/subscription {USER} cancel")
    assert "re-enabled" in await h.reply(ADMIN, f"/subscription {USER} enable")
    assert h.sandbox.world.star_subscriptions[USER]["canceled"] is False
    assert (await _star_sub(h)).state == "active"
    assert "Usage: /subscription" in await h.reply(ADMIN, f"/subscription {USER} stop")
    assert "Usage: /subscription" in await h.reply(ADMIN, "/subscription ١٢٣")
    assert "not an admin" not in await h.reply(ADMIN, "/subscription 999")
    refused = await h.reply(USER, f"/subscription {USER} cancel")
    assert "Renewal cancelled" not in refused
    assert h.sandbox.world.star_subscriptions[USER]["canceled"] is False


async def test_refund_of_a_renewing_charge_ends_the_renewal(
    harness_factory: Callable[..., Any],
) -> None:
    h = await renewing_bot(harness_factory)
    await _subscribe(h)
    _clock(h).set(START + MONTH - timedelta(hours=1))
    renewal = h.sandbox.world.renew(USER)
    assert renewal is not None
    await h.idle()
    charge = renewal["successful_payment"]["telegram_payment_charge_id"]
    answer = await h.reply(ADMIN, f"/refund {charge}")
    assert answer.startswith(f"Refunded {charge}")
    await h.idle()
    assert h.sandbox.world.star_subscriptions[USER]["canceled"] is True
    assert (await _star_sub(h)).state == "canceled"
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + MONTH  # the refunded month taken back
    assert h.sandbox.world.renew(USER) is None


async def test_reminders_speak_of_renewal_until_it_is_cancelled(
    harness_factory: Callable[..., Any],
) -> None:
    h = await renewing_bot(harness_factory)
    await _subscribe(h)
    _clock(h).set(START + MONTH - timedelta(days=2))
    assert await h.run_job("subscriptions.remind") == "reminded 1 (3 days) and 0 (1 day)"
    reminder = await told(h, USER, "renews on")
    assert "cancel the renewal in /status" in reminder and "Ask an admin" not in reminder
    assert "Renewal cancelled" in await h.reply(ADMIN, f"/subscription {USER} cancel")
    _clock(h).set(START + MONTH - timedelta(hours=12))
    assert await h.run_job("subscriptions.remind") == "reminded 0 (3 days) and 1 (1 day)"
    await told(h, USER, "ends tomorrow")
