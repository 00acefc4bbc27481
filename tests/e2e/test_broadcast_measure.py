"""What a broadcast achieved, through the real bot: variants split, buttons counted once per
user, "No more announcements" holding for the next broadcast, /campaign's figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.core.delivery import OutboxMessage
from bot.modules.broadcast.service import announcement, variant_of
from bot.sandbox import SentMessage
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.factories import register_users
from tests.helpers.moderation import press

PEOPLE = list(range(30_100, 30_108))
BODY = (
    "Spring sale!\n---\nSale: 30% off today\n"
    "button: See offers | https://example.org/sale\nbutton: Not now"
)


def _copy(h: Harness, user_id: int) -> SentMessage:
    texts = (announcement("Spring sale!"), announcement("Sale: 30% off today"))
    [copy] = [m for m in h.sandbox.world.to(user_id) if m.text in texts]
    return copy


def _data(copy: SentMessage, label: str) -> str:
    [data] = [b["callback_data"] for b in copy.buttons() if b["text"] == label]
    return str(data)


async def _bot(harness_factory: Callable[..., Any]) -> Harness:
    # Each chat at Telegram's pace: the admin gets two previews, the question and edits.
    h: Harness = await harness_factory()
    await register_users(h.services, PEOPLE, world=h.sandbox.world)
    return h


async def test_variants_buttons_and_opt_out_are_counted(
    harness_factory: Callable[..., Any],
) -> None:
    h = await _bot(harness_factory)
    status = await h.broadcast(ADMIN, BODY)
    await h.wait(lambda: "Broadcast finished" in (status.text or ""), timeout=30)
    # Each user read the variant their id gives, with both buttons and the opt-out under it.
    for user_id in PEOPLE:
        copy = _copy(h, user_id)
        expected = ("Spring sale!", "Sale: 30% off today")[variant_of(user_id, 1, 2)]
        assert copy.text == announcement(expected)
        assert [b["text"] for b in copy.buttons()] == [
            "See offers",
            "Not now",
            "🔕 No more announcements",
        ]
    first, second, third = PEOPLE[:3]
    see = _data(_copy(h, first), "See offers")
    assert see == "bclk:1:0"
    assert await press(h, first, _copy(h, first), see) == ""
    await h.wait(lambda: any(m.text == "See offers" for m in h.sandbox.world.to(first)))
    [link] = [m for m in h.sandbox.world.to(first) if m.text == "See offers"]
    assert link.buttons()[0]["url"] == "https://example.org/sale"
    assert await press(h, first, _copy(h, first), see) == ""  # again: counted once
    assert await press(h, second, _copy(h, second), "bclk:1:1") == "Noted, thank you."
    assert await press(h, second, _copy(h, second), "bclk:1:7") == "This button is no longer valid."
    declined = await press(h, third, _copy(h, third), "bout:1")
    assert declined.startswith("You will get no more announcements.")
    await h.wait(lambda: not _copy(h, third).buttons())
    again = await press(h, third, _copy(h, third), "bout:1")
    assert again.startswith("You will get no more")

    report = await h.reply(ADMIN, "/campaign 1")
    assert "targeted 8 · delivered 8 · blocked 0 · failed 0 · waiting 0" in report
    assert "opted out 1 · clicked 2 (25%)" in report
    assert "See offers: 1" in report and "Not now: 1" in report
    assert "A «Spring sale!»:" in report and "B «Sale: 30% off today»:" in report

    # The opt-out holds for the next broadcast: the third user's copy is skipped, muted.
    next_one = await h.broadcast(ADMIN, "Next one")
    await h.wait(lambda: "Broadcast finished" in (next_one.text or ""), timeout=30)
    world = h.sandbox.world
    got = [u for u in PEOPLE if any(m.text == announcement("Next one") for m in world.to(u))]
    assert got == [u for u in PEOPLE if u != third]
    async with h.services.db.session() as session:
        skipped = await session.scalar(
            select(OutboxMessage.last_error).where(OutboxMessage.key == f"broadcast:2:{third}")
        )
    assert skipped == "muted by preferences"


async def test_the_previews_buttons_count_nothing(harness_factory: Callable[..., Any]) -> None:
    h = await _bot(harness_factory)
    previews = (await h.say(ADMIN, f"/broadcast {BODY}", replies=3))[:2]
    assert [p.text for p in previews] == [
        announcement("Spring sale!"),
        announcement("Sale: 30% off today"),
    ]
    for data in ("bclk:0:0", "bout:0"):
        assert await press(h, ADMIN, previews[0], data) == "This button is no longer valid."
    assert "No broadcast #5." in await h.reply(ADMIN, "/campaign 5")
    assert "Usage: /campaign" in await h.reply(ADMIN, "/campaign x")
