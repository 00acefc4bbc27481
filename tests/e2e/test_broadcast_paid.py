"""Paid broadcasts end to end against the sandbox: /paidbroadcast shows the estimate and
changes nothing; once an admin pays, the broadcast's waiting copies go with
``allow_paid_broadcast`` until the Stars cap covers no more, then at the free rate; the cap is
never passed (in the bot's count and in the sandbox's charge); a second press changes
nothing; others are refused; a bot whose balance is short falls back to the free rate."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.delivery import OutboxMessage
from bot.modules.broadcast.models import Broadcast
from bot.modules.broadcast.paid_models import BroadcastPaid
from bot.modules.broadcast.service import announcement, key_prefix
from bot.sandbox import SentMessage
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.factories import register_users

STRANGER = 5
FREE = 2.0  # the free lane's sends a second: slow, so that the paid lane is plainly faster


@pytest.fixture
async def harness(harness_factory: Callable[..., Any]) -> Harness:
    h: Harness = await harness_factory(rate_global_per_second=FREE, rate_paid_per_second=1000.0)
    return h


def copies(harness: Harness, text: str) -> list[SentMessage]:
    """The copies of the announcement ``text`` the sandbox recorded, in order (the admin's
    preview left out)."""
    body = announcement(text)
    found = [m for m in harness.sandbox.world.messages if m.text == body]
    return [m for m in found if m.chat_id != ADMIN]


async def outbox(harness: Harness, broadcast_id: int) -> list[tuple[int, int, str]]:
    """The broadcast's rows as (id, chat, status), in id order (the sender's claim order)."""
    o = OutboxMessage
    async with harness.services.db.session() as session:
        found = await session.execute(
            select(o.id, o.chat_id, o.status)
            .where(o.key.startswith(key_prefix(broadcast_id)))
            .order_by(o.id)
        )
        return [(row_id, chat, status) for row_id, chat, status in found.all()]


async def lane(harness: Harness, broadcast_id: int) -> tuple[int, int, str, int] | None:
    async with harness.services.db.session() as session:
        found = await session.get(BroadcastPaid, broadcast_id)
        if found is None:
            return None
        return (found.cap_stars, found.spent_millistars, found.state, found.confirmed_by)


async def drained(harness: Harness, broadcast_id: int, timeout: float = 60) -> None:
    """Until none of the broadcast's rows waits or is in the sender's hands, then idle."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while any(
        status in ("pending", "paused") for _, _, status in await outbox(harness, broadcast_id)
    ):
        assert loop.time() < deadline, "the broadcast's rows stayed waiting"
        await asyncio.sleep(0.05)
    await harness.idle(timeout=timeout)


async def paused_broadcast(harness: Harness, text: str, audience: range) -> tuple[int, int]:
    """/broadcast ``text`` to ``audience``, paused at once: its id and the copies held."""
    await register_users(harness.services, audience, world=harness.sandbox.world)
    await harness.broadcast(ADMIN, text)
    async with harness.services.db.session() as session:
        broadcast_id = await session.scalar(select(func.max(Broadcast.id)))
    assert broadcast_id is not None
    await harness.reply(ADMIN, f"/pausebroadcast {broadcast_id}")
    await drained_to_paused(harness, broadcast_id)
    held = [r for r in await outbox(harness, broadcast_id) if r[2] == "paused"]
    return broadcast_id, len(held)


async def drained_to_paused(harness: Harness, broadcast_id: int, timeout: float = 30) -> None:
    """Until every row is sent or paused (those in flight at the pause are done)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while any(status == "pending" for _, _, status in await outbox(harness, broadcast_id)):
        assert loop.time() < deadline, "rows stayed in flight after the pause"
        await asyncio.sleep(0.05)
    await harness.idle(timeout=timeout)


async def ask(harness: Harness, user: int, command: str) -> SentMessage:
    [answer] = await harness.say(user, command)
    return answer


async def answer_of(harness: Harness, user: int, message: SentMessage, data: str) -> str:
    """Press ``data`` under ``message`` as ``user``; the text the press was answered with."""
    world = harness.sandbox.world
    query_id = world.press(user, message, data)

    def answered() -> dict[str, Any] | None:
        return next((a for a in world.callback_answers if a["callback_query_id"] == query_id), None)

    found: dict[str, Any] = await harness.wait(answered)
    await harness.idle()
    return str(found.get("text", ""))


async def test_a_paid_campaign_goes_paid_until_its_cap_then_free(harness: Harness) -> None:
    """30 users, the broadcast paused after a few copies; /paidbroadcast <id> 1 shows the
    copies waiting, both times, the cost (1 Star covers 10 copies) and the balance, with Pay
    and Cancel, and changes nothing. Pay stores the cap; on resume exactly the 10 copies the
    sender claims first (the lowest rows) go with allow_paid_broadcast, the rest without;
    every user gets one copy; 1 Star is counted and charged, never more; a second Pay changes
    nothing and /paidbroadcast then shows the lane's state."""
    world = harness.sandbox.world
    world.star_balance = 50
    audience = range(42_000, 42_030)
    broadcast_id, held = await paused_broadcast(harness, "Paid run", audience)
    assert 10 < held <= 30
    before_rows, before_sent = await outbox(harness, broadcast_id), len(world.messages)

    question = await ask(harness, ADMIN, f"/paidbroadcast {broadcast_id} 1")
    text = question.text or ""
    assert f"Copies waiting: {held}, of which 10 in the paid lane." in text
    assert "Time at the free rate:" in text and "with the paid lane:" in text
    assert f"Paid broadcast #{broadcast_id}, a cap in Stars of 1:" in text
    assert "counted against the cap: 1 (0.1 every paid copy)" in text
    assert "The bot's Stars balance: 50." in text
    labels = [b["text"] for b in question.buttons()]
    assert labels == ["Pay up to 1 Star", "Cancel"]
    await harness.idle()
    assert await lane(harness, broadcast_id) is None  # the estimate changed nothing
    assert await outbox(harness, broadcast_id) == before_rows
    assert len(world.messages) == before_sent + 1 and world.paid_sends == []

    pay = next(b["callback_data"] for b in question.buttons() if b["text"].startswith("Pay"))
    assert await answer_of(harness, ADMIN, question, pay) == ""
    assert "goes in the paid lane" in (question.text or "")
    assert await lane(harness, broadcast_id) == (1, 0, "active", ADMIN)

    waiting = [(row_id, chat) for row_id, chat, status in before_rows if status == "paused"]
    await harness.reply(ADMIN, f"/resumebroadcast {broadcast_id}")
    await drained(harness, broadcast_id)

    got = copies(harness, "Paid run")
    assert Counter(m.chat_id for m in got) == Counter(audience)  # one copy each
    paid = [m for m in got if m.params.get("allow_paid_broadcast")]
    assert sorted(m.chat_id for m in paid) == sorted(chat for _, chat in waiting[:10])
    assert sorted((m.chat_id, m.message_id) for m in paid) == sorted(world.paid_sends)
    assert await lane(harness, broadcast_id) == (1, 1000, "spent", ADMIN)
    assert world.paid_millistars == 1000
    assert harness.sandbox.too_many_requests == 0

    after = len(world.messages)
    assert await answer_of(harness, ADMIN, question, pay) == "Already confirmed."
    assert await lane(harness, broadcast_id) == (1, 1000, "spent", ADMIN)
    assert len(world.messages) == after
    shown = (await ask(harness, ADMIN, f"/paidbroadcast {broadcast_id} 5")).text or ""
    assert shown.startswith("Paid lane, in Stars: 1 counted of a cap of 1 (cap reached")


async def test_cancel_and_strangers_change_nothing(harness: Harness) -> None:
    """Cancel leaves the broadcast free; a non-admin's /paidbroadcast and press are refused."""
    world = harness.sandbox.world
    audience = range(43_000, 43_015)
    broadcast_id, _held = await paused_broadcast(harness, "Free run", audience)
    question = await ask(harness, ADMIN, f"/paidbroadcast {broadcast_id} 3")
    [pay, cancel] = [b["callback_data"] for b in question.buttons()]
    assert await answer_of(harness, ADMIN, question, cancel) == ""
    assert question.text == "Not changed: no paid lane."
    assert await lane(harness, broadcast_id) is None

    refused = (await ask(harness, STRANGER, f"/paidbroadcast {broadcast_id} 3")).text
    assert refused == "Sorry, this command is for the bot's admins only."
    stranger_view = await ask(harness, STRANGER, "/start")
    assert await answer_of(harness, STRANGER, stranger_view, pay) == (
        "This button is not valid for you."
    )
    assert await lane(harness, broadcast_id) is None
    for bad in ("", f"{broadcast_id}", f"{broadcast_id} 0", f"{broadcast_id} ٣", "x 3"):
        usage = (await ask(harness, ADMIN, f"/paidbroadcast {bad}".strip())).text or ""
        assert usage.startswith("Usage: /paidbroadcast <id> <stars>"), bad
    assert world.paid_sends == []


async def test_a_short_balance_falls_back_to_the_free_rate(harness: Harness) -> None:
    """With no Stars, Telegram (the sandbox) refuses the paid send with BALANCE_TOO_LOW: the
    copy goes free at once, the lane is refused and its count given back; every user still
    gets one copy and nothing was charged."""
    world = harness.sandbox.world
    audience = range(44_000, 44_012)
    broadcast_id, _held = await paused_broadcast(harness, "Broke run", audience)
    question = await ask(harness, ADMIN, f"/paidbroadcast {broadcast_id} 2")
    assert "The bot's Stars balance: 0." in (question.text or "")
    pay = question.buttons()[0]["callback_data"]
    await answer_of(harness, ADMIN, question, pay)
    await harness.reply(ADMIN, f"/resumebroadcast {broadcast_id}")
    await drained(harness, broadcast_id)
    got = copies(harness, "Broke run")
    assert Counter(m.chat_id for m in got) == Counter(audience)
    assert world.paid_sends == [] and world.paid_millistars == 0
    found = await lane(harness, broadcast_id)
    assert found is not None and found[2] == "refused"
    assert found[1] <= 2000
    assert harness.sandbox.stats["400"] >= 1
