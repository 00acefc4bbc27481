"""The Stars books agree with Telegram's: ``subscriptions.reconcile_stars`` pages through
``getStarTransactions``, stores and grants a payment that never reached the bot (once),
flags a charge Telegram lacks and an amount that differs (one alert to the admins), and
``/stars`` shows the balance and the revenue per day and month."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update
from telegram.error import BadRequest

from bot.modules.subscriptions import books
from bot.modules.subscriptions.models import StarPayment
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.chat import answer, told
from tests.helpers.clocks import START
from tests.helpers.stars import FRIEND, USER, charge_row, pay, selling, subscription

JOB = "subscriptions.reconcile_stars"
ALERT = "The Stars books differ from Telegram's"
QUIET = {
    "subscriptions.settle_payments": {"enabled": False},
    JOB: {"enabled": False},  # run by the tests only
}


async def _bot(factory: Callable[..., Any]) -> Harness:
    return await selling(factory, jobs=QUIET)


def _alerts(h: Harness) -> list[str]:
    return [m.text or "" for m in h.sandbox.world.to(ADMIN) if ALERT in (m.text or "")]


def _paid_at_telegram_only(h: Harness, user_id: int, charge_id: str, stars: int = 50) -> None:
    """A payment Telegram took whose ``successful_payment`` never reached the bot."""
    world = h.sandbox.world
    user = world.user(user_id)
    world.payments.append(
        {
            "message_id": 900_000 + len(world.payments),
            "date": int(time.time()),
            "chat": user.as_chat(),
            "from": user.as_user(),
            "successful_payment": {
                "currency": "XTR",
                "total_amount": stars,
                "invoice_payload": f"vip:{user_id}:30:{stars}",
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": "",
            },
        }
    )


async def test_a_charge_deleted_from_the_books_is_stored_and_granted_once(
    harness_factory: Callable[..., Any],
) -> None:
    """A charge Telegram has and the bot does not is stored, granted (30 more days), the
    payer and the admins told; a second run finds nothing and grants nothing."""
    h = await _bot(harness_factory)
    charge = await pay(h)
    await told(h, USER, "Thank you! VIP until")
    async with h.services.db.session() as session:
        await session.execute(delete(StarPayment).where(StarPayment.charge_id == charge))
        await session.commit()

    summary = await h.run_job(JOB)
    assert summary is not None and "1 lost payments stored and granted" in summary
    row = await charge_row(h, charge)
    assert row is not None and row.state == "granted" and row.stars == 50
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + timedelta(days=60)
    await told(h, USER, f"Your payment {charge} (50 Stars) had not reached the bot")
    alert = await told(h, ADMIN, ALERT, charge, "stored and granted")
    assert "(1)" in alert

    again = await h.run_job(JOB)
    assert again is not None and "0 lost payments" in again and "0 missing" in again
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + timedelta(days=60)
    await h.idle()
    assert len(_alerts(h)) == 1


async def test_an_altered_amount_and_a_charge_telegram_lacks_are_flagged_once(
    harness_factory: Callable[..., Any],
) -> None:
    """A stored amount that differs from Telegram's and a stored charge Telegram never
    made are both flagged, in one alert; the next run counts them again without a second
    alert, and changes nothing on record."""
    h = await _bot(harness_factory)
    charge = await pay(h)
    await told(h, USER, "Thank you! VIP until")
    async with h.services.db.session() as session:
        await session.execute(
            update(StarPayment).where(StarPayment.charge_id == charge).values(stars=40)
        )
        session.add(
            StarPayment(
                charge_id="stxNEVERMADE",
                user_id=FRIEND,
                days=30,
                stars=50,
                created_at=START,
                currency="XTR",
                payload=f"vip:{FRIEND}:30:50",
                state="granted",
                attempts=0,
                granted_at=START,
            )
        )
        await session.commit()

    summary = await h.run_job(JOB)
    assert summary is not None
    assert "0 lost payments" in summary
    assert "1 missing at Telegram" in summary and "1 amounts differ" in summary
    alert = await told(h, ADMIN, ALERT)
    assert f"{charge} by {USER}: 40 Stars on record, 50 at Telegram" in alert
    assert f"stxNEVERMADE by {FRIEND}: on record (50 Stars) but not at Telegram" in alert

    again = await h.run_job(JOB)
    assert again is not None and "1 missing at Telegram" in again
    await h.idle()
    assert len(_alerts(h)) == 1
    row = await charge_row(h, charge)
    assert row is not None and row.stars == 40 and row.state == "granted"
    assert h.sandbox.world.refunds == []


async def test_refunds_on_one_side_only_are_flagged(harness_factory: Callable[..., Any]) -> None:
    """A refund on record is found at Telegram: nothing to say; a charge marked refunded
    only on record is flagged."""
    h = await _bot(harness_factory)
    first = await pay(h)
    await told(h, USER, "Thank you! VIP until")
    await answer(h, ADMIN, f"/refund {first}", "Refunded")
    second = await pay(h, FRIEND)
    await told(h, FRIEND, "Thank you! VIP until")
    summary = await h.run_job(JOB)
    assert summary is not None and "0 refunds differ" in summary and "0 missing" in summary

    async with h.services.db.session() as session:
        await session.execute(
            update(StarPayment).where(StarPayment.charge_id == second).values(state="refunded")
        )
        await session.commit()
    summary = await h.run_job(JOB)
    assert summary is not None and "1 refunds differ" in summary
    await told(h, ADMIN, ALERT, f"{second} by {FRIEND}: refunded on record, not at Telegram")


async def test_reconciliation_pages_through_every_transaction(
    harness_factory: Callable[..., Any],
) -> None:
    """With 205 transactions the job reads three pages (offsets 0, 100, 200) and finds
    the lost payment on the last one; the ones on record are not flagged."""
    h = await _bot(harness_factory)
    charge = await pay(h)  # on record
    await told(h, USER, "Thank you! VIP until")
    world = h.sandbox.world
    async with h.services.db.session() as session:
        for n in range(203):
            charge_id = f"stxOLD{n:04d}"
            _paid_at_telegram_only(h, FRIEND, charge_id)
            session.add(
                StarPayment(
                    charge_id=charge_id,
                    user_id=FRIEND,
                    days=30,
                    stars=50,
                    created_at=START,
                    currency="XTR",
                    payload=f"vip:{FRIEND}:30:50",
                    state="granted",
                    attempts=0,
                    granted_at=START,
                )
            )
        await session.commit()
    _paid_at_telegram_only(h, USER, "stxLOSTLAST")
    assert len(world.star_transactions()) == 205
    before = len(world.calls)

    summary = await h.run_job(JOB)
    assert summary is not None and "read 205 Telegram transactions" in summary
    assert "205 charges on record" not in summary and "204 charges on record" in summary
    assert "1 lost payments stored and granted" in summary and "0 missing" in summary
    pages = [p for m, p in world.calls[before:] if m == "getStarTransactions"]
    assert [(p.get("offset"), p.get("limit")) for p in pages] == [(0, 100), (100, 100), (200, 100)]
    row = await charge_row(h, "stxLOSTLAST")
    assert row is not None and row.state == "granted"
    sub = await subscription(h)
    assert sub is not None and sub.ends_at == START + timedelta(days=60)
    assert (await charge_row(h, charge)) is not None


async def test_stars_shows_the_balance_and_the_revenue(
    harness_factory: Callable[..., Any],
) -> None:
    """/stars: Telegram's balance, today's and this month's Stars (granted minus
    refunded), and refused to non-admins."""
    h = await _bot(harness_factory)
    world = h.sandbox.world
    held = int(getattr(world, "star_balance", 0))
    await pay(h)
    await told(h, USER, "Thank you! VIP until")
    second = await pay(h, FRIEND)
    await told(h, FRIEND, "Thank you! VIP until")
    reply = await answer(h, ADMIN, "/stars", "Stars balance")
    assert f"Stars balance: {held + 100:,}" in reply
    day = START.date()
    assert f"{day.isoformat()}: 100" in reply
    assert f"{(day - timedelta(days=1)).isoformat()}: 0" in reply
    assert f"{day:%Y-%m}: 100" in reply
    assert f"{day.replace(day=1) - timedelta(days=1):%Y-%m}: 0" in reply

    await answer(h, ADMIN, f"/refund {second}", "Refunded")
    reply = await answer(h, ADMIN, "/stars", "Stars balance")
    assert f"Stars balance: {held + 50:,}" in reply
    assert f"{day.isoformat()}: 50" in reply and f"{day:%Y-%m}: 50" in reply
    await h.run_job("analytics.quick_stats")  # /stats reads its latest figures
    stats = await answer(h, ADMIN, "/stats", "Stars revenue")
    assert "Stars revenue (granted minus refunded): 50" in stats
    assert "Stars revenue this month, to this day: 50" in stats

    refused = await h.reply(USER, "/stars")
    assert "Stars balance" not in refused


async def test_the_sandbox_pages_as_telegram_documents(harness_factory: Callable[..., Any]) -> None:
    """getStarTransactions: any page size from 1 to 100 reads every transaction once, in
    order; a limit outside 1-100 or a negative offset is refused with 400."""
    h = await _bot(harness_factory)
    for n in range(23):
        _paid_at_telegram_only(h, USER if n % 2 else FRIEND, f"stxPAGE{n:03d}", stars=n + 1)
    h.sandbox.world.refunded(USER, "stxPAGE001")
    expected = [t["id"] for t in h.sandbox.world.star_transactions()]
    assert len(expected) == 24 and expected[-1] == "stxPAGE001"  # the refund came last
    bot = h.app.bot
    for size in (1, 5, 23, 24, 100):
        ledger = await books.fetch_ledger(bot, size)
        assert ledger.read == 24 and list(ledger.paid) == expected[:-1]
        assert ledger.refunded == {"stxPAGE001"}
        assert ledger.paid["stxPAGE004"].amount == 5
    for offset, limit in ((0, 0), (0, 101), (-1, 10)):
        with pytest.raises(BadRequest):
            await bot.get_star_transactions(offset=offset, limit=limit)
    balance = await bot.get_my_star_balance()
    held = int(getattr(h.sandbox.world, "star_balance", 0))
    assert balance.amount == held + sum(range(1, 24)) - 2
