"""Stars payments that cannot be lost: stored first, granted after, retried until granted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import structlog
from sqlalchemy import func, select, text

from bot.modules.subscriptions.models import StarPayment
from tests.conftest import ADMIN
from tests.e2e.conftest import VIP, Harness
from tests.helpers.chat import told
from tests.helpers.clocks import START
from tests.helpers.stars import (
    USER,
    DatabaseLock,
    charge_row,
    invoice,
    pay,
    selling,
    short_busy_timeout,
    subscription,
)

SETTLE = "subscriptions.settle_payments"


def _grant_messages(h: Harness) -> int:
    return sum("Join the VIP chat" in (m.text or "") for m in h.sandbox.world.to(USER))


async def _charges(h: Harness) -> int:
    async with h.services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(StarPayment)) or 0)


@pytest.mark.sqlite_only  # the fault is a SQLite lock taken from outside
async def test_locked_database_at_grant_is_settled_once_by_the_job(
    harness_factory: Callable[..., Any],
) -> None:
    """The database locked from outside while granting: the charge is already stored, the
    payer gets its id, the admins an alert; once released the job grants it exactly once."""
    h = await selling(harness_factory)
    await short_busy_timeout(h)
    lock = DatabaseLock(h)

    async def lock_once(_params: dict[str, Any]) -> None:
        h.sandbox.before.pop("createChatInviteLink")
        await lock.take()  # after the charge was stored, before the grant's transaction

    h.sandbox.before["createChatInviteLink"] = lock_once
    charge = await pay(h)
    await told(h, USER, "safely recorded", f"Payment id: {charge}")
    await told(h, ADMIN, charge, "not granted yet")
    await lock.release()
    row = await charge_row(h, charge)
    assert row is not None and row.state == "received" and row.user_id == USER
    assert (row.stars, row.currency, row.payload, row.days) == (50, "XTR", f"vip:{USER}:30:50", 30)
    assert await subscription(h) is None

    assert await h.run_job(SETTLE) == "granted 1 of 1 waiting payments"
    assert await h.run_job(SETTLE) == "granted 0 of 0 waiting payments"
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + timedelta(days=30)
    row = await charge_row(h, charge)
    assert row is not None and row.state == "granted" and row.granted_at is not None
    await told(h, USER, "Join the VIP chat")

    h.sandbox.world.push({"message": h.sandbox.world.payments[0]})  # delivered again
    await h.idle()
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + timedelta(days=30)
    assert _grant_messages(h) == 1 and await _charges(h) == 1


@pytest.mark.sqlite_only  # the fault is a SQLite lock taken from outside
async def test_a_charge_arriving_while_the_database_is_locked_is_not_acknowledged(
    harness_factory: Callable[..., Any],
) -> None:
    """With the database locked before the payment arrives, Telegram is not told the update
    was received (the charge stays with Telegram, not in a log line); once the lock is gone
    the charge is stored and granted, once, and nothing is reported as lost."""
    h = await selling(harness_factory)
    await short_busy_timeout(h)
    world = h.sandbox.world
    sent = await invoice(h)
    lock = DatabaseLock(h)
    await lock.take()
    try:
        with structlog.testing.capture_logs() as logs:
            world.pay(USER, sent)
            await h.wait(lambda: world.payments)
            held = "database away: update not acknowledged until it is stored"
            await h.wait(lambda: any(e["event"] == held for e in logs), 30)
            charge = world.payments[0]["successful_payment"]["telegram_payment_charge_id"]
            [pending] = [u for u in world.pending_updates(0) if "message" in u]
            assert pending["message"]["successful_payment"]["telegram_payment_charge_id"] == charge
            assert _grant_messages(h) == 0
    finally:
        await lock.release()
    await h.wait(lambda: _grant_messages(h) == 1, 30)
    row = await charge_row(h, charge)
    assert row is not None and row.state == "granted"
    assert not [e for e in logs if e["event"].startswith("Stars payment NOT STORED")]
    await h.wait(lambda: not world.pending_updates(0), 10)  # acknowledged once stored


async def test_a_charge_that_cannot_be_stored_is_logged_and_reported(
    harness_factory: Callable[..., Any],
) -> None:
    """A charge the database refuses for good (its table is gone: not an outage to wait
    out) is logged at ERROR with every field, the payer gets its id and the admins are told."""
    h = await selling(harness_factory)
    sent = await invoice(h)
    async with h.services.db.session() as session:
        await session.execute(text("DROP TABLE vip_star_payments"))
    with structlog.testing.capture_logs() as logs:
        h.sandbox.world.pay(USER, sent)
        await h.wait(lambda: h.sandbox.world.payments)
        charge = h.sandbox.world.payments[0]["successful_payment"]["telegram_payment_charge_id"]
        await told(h, USER, "could not be recorded", f"Payment id: {charge}")
        await told(h, ADMIN, charge, "NOT STORED")
    [entry] = [e for e in logs if e["event"].startswith("Stars payment NOT STORED")]
    assert entry["log_level"] == "error"
    assert (entry["charge_id"], entry["user_id"], entry["amount"]) == (charge, USER, 50)
    assert (entry["currency"], entry["payload"]) == ("XTR", f"vip:{USER}:30:50")
    assert await subscription(h) is None


async def test_telegram_refusing_the_link_then_the_same_charge_again_grants_once(
    harness_factory: Callable[..., Any],
) -> None:
    """Telegram refusing the invite link leaves the charge waiting (the job run fails and
    says so); the same charge delivered twice afterwards grants once, the job finds none."""
    h = await selling(harness_factory)
    world = h.sandbox.world
    vip = world.chats.pop(VIP)  # the sandbox now answers "chat not found" for the VIP chat
    charge = await pay(h)
    await told(h, USER, "safely recorded", charge)
    await told(h, ADMIN, charge, "Chat not found")
    with pytest.raises(RuntimeError, match="granted 0 of 1 waiting payments") as failed:
        await h.run_job(SETTLE)
    assert charge in str(failed.value)
    row = await charge_row(h, charge)
    assert row is not None and row.state == "received" and row.attempts >= 2

    world.chats[VIP] = vip
    world.push({"message": world.payments[0]})
    world.push({"message": world.payments[0]})
    await told(h, USER, "Thank you! VIP until")
    await h.idle()
    assert await h.run_job(SETTLE) == "granted 0 of 0 waiting payments"
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + timedelta(days=30)
    assert sum("Thank you" in (m.text or "") for m in world.to(USER)) == 1
    assert await _charges(h) == 1


async def test_concurrent_grants_and_payments_all_count(
    harness_factory: Callable[..., Any],
) -> None:
    """Eight /grant-style grants of one day and four Stars payments of 30 days, all at once,
    end the subscription exactly 128 days out."""
    from bot.modules.subscriptions import access, settle
    from bot.modules.subscriptions.charges import Charge

    h = await selling(harness_factory)
    services, bot = h.services, h.app.bot
    grants = [access.grant_access(services, bot, USER, timedelta(days=1)) for _ in range(8)]
    paid = [
        settle.receive(services, bot, Charge(f"stxC{n}", USER, 50, "XTR", f"vip:{USER}:30:50"))
        for n in range(4)
    ]
    answers = await asyncio.gather(*grants, *paid)
    assert all("Thank you" in str(a) for a in answers[8:])
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + timedelta(days=8 + 4 * 30)
