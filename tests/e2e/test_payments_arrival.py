"""A Stars charge is stored before Telegram is told its update was received.

``successful_payment`` is sent once: once the bot acknowledges the update (the next
``getUpdates`` offset, a webhook's 200), Telegram forgets it. These tests hold the payer's
chat busy (its turn comes late) and look at the database at the moment of the
acknowledgement, and kill a real bot process with SIGKILL at every Bot API call of the
payment's path: after a restart the charge is granted, exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.core.telegram.intake import SECRET_HEADER
from tests.e2e.conftest import Harness
from tests.helpers.servers import free_port
from tests.helpers.stars import USER, charge_row, invoice, selling

JSON = dict[str, Any]
SECRET = "payments-arrival-secret-0123456789abcdef"


def _payment_update(update_id: int, user_id: int, charge_id: str, payload: str) -> JSON:
    user = {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"}
    payment = {
        "currency": "XTR",
        "total_amount": 50,
        "invoice_payload": payload,
        "telegram_payment_charge_id": charge_id,
        "provider_payment_charge_id": "",
    }
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": f"U{user_id}"},
        "from": user,
        "successful_payment": payment,
    }
    return {"update_id": update_id, "message": message}


async def _busy(h: Harness, user_id: int) -> None:
    """Hold ``user_id``'s chat: its /status is answered only after 3 s (the sandbox holds
    the reply), and the chat's next updates wait for their turn behind it."""
    h.sandbox.slow["sendMessage"] = 3.0
    h.sandbox.world.send_text(user_id, "/status")
    await h.wait(lambda: any(m == "sendMessage" for m, _p in h.sandbox.world.calls[-3:]), 10)


async def test_polling_confirms_a_payment_only_once_it_is_stored(
    harness_factory: Callable[..., Any],
) -> None:
    """The getUpdates that confirms a successful_payment finds the charge already stored,
    though the payer's chat is busy and its handler has not run yet."""
    h = await selling(harness_factory)
    world = h.sandbox.world
    sent = await invoice(h)
    found: list[bool] = []

    async def at_confirmation(params: JSON) -> None:
        payments = [int(p["message_id"]) for p in world.payments]
        if not payments or found:
            return
        pending = [u for u in world.pending_updates(0) if "message" in u]
        paid = [u for u in pending if u["message"].get("successful_payment")]
        if paid and int(params.get("offset") or 0) > int(paid[0]["update_id"]):
            charge = paid[0]["message"]["successful_payment"]["telegram_payment_charge_id"]
            found.append(await charge_row(h, charge) is not None)

    await _busy(h, USER)
    h.sandbox.before["getUpdates"] = at_confirmation
    world.pay(USER, sent)
    await h.wait(lambda: bool(found), 15)
    assert found == [True], "Telegram was told the payment arrived before it was stored"
    h.sandbox.slow.clear()


async def test_webhook_answers_200_only_once_the_charge_is_stored(
    harness_factory: Callable[..., Any],
) -> None:
    """A successful_payment POSTed to the webhook while the payer's chat is busy: by the
    time the 200 is back, the charge is in the database."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    h = await selling(harness_factory, webhook_url=url, webhook_secret=SECRET, webhook_port=port)
    await _busy(h, USER)
    body = _payment_update(8_100_001, USER, "stxARRIVAL000001", f"vip:{USER}:30:50")
    headers = {SECRET_HEADER: SECRET}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        assert r.status == 200
    row = await charge_row(h, "stxARRIVAL000001")
    assert row is not None and row.user_id == USER and row.days == 30
    h.sandbox.slow.clear()
    await h.wait(lambda: any("t.me/+" in m.text for m in h.sandbox.world.to(USER)), 20)
