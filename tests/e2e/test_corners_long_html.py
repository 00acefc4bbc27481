"""A long HTML text (parse_mode HTML) reaches the chat in parts that each parse on their
own: a direct reply through the bot and an outbox row alike, through the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.core.delivery import Category, Priority
from bot.core.delivery.split import utf16_len
from bot.sandbox import SentMessage
from tests.e2e.conftest import UNPACED, Harness
from tests.unit.test_corners_split_html import visible, well_formed

pytestmark = pytest.mark.lifted_limits

USER = 9301
# ~9,600 UTF-16 units: bold runs, links and entities all the way, no line break to cut at.
LONG = "".join(
    f'<b>Tom &amp; Jerry {n}</b> <a href="https://example.org/?a=1&amp;b={n}">&lt;link&gt;</a> '
    f"<i>fish &amp; <u>chips</u></i> "
    for n in range(100)
)


def _check(parts: list[SentMessage]) -> None:
    texts = [m.text or "" for m in parts]
    assert len(texts) >= 2
    assert all(utf16_len(t) <= 4096 for t in texts)
    assert all(well_formed(t) for t in texts), texts
    assert "".join(visible(t) for t in texts) == visible(LONG)
    assert all(m.params.get("parse_mode") == "HTML" for m in parts)


async def test_a_long_html_reply_arrives_in_well_formed_parts(
    harness_factory: Callable[..., Any],
) -> None:
    """The bot's own send_message of a long HTML text: each part is closed and reopened
    around its cuts, no entity or tag cut."""
    h: Harness = await harness_factory(**UNPACED)
    await h.reply(USER, "/start")
    world = h.sandbox.world
    before = len(world.to(USER))
    await h.app.bot.send_message(USER, LONG, parse_mode="HTML")
    await h.wait(
        lambda: "".join(visible(m.text or "") for m in world.to(USER)[before:]).endswith("chips ")
    )
    _check(world.to(USER)[before:])


async def test_a_long_html_outbox_row_arrives_in_well_formed_parts(
    harness_factory: Callable[..., Any],
) -> None:
    """An outbox row with parse_mode HTML is cut the same way by the sender."""
    h: Harness = await harness_factory(**UNPACED)
    await h.reply(USER, "/start")
    world = h.sandbox.world
    before = len(world.to(USER))
    async with h.services.uow() as uow:
        await h.services.outbox.enqueue(
            uow.session,
            key=f"test-html:{USER}",
            chat_id=USER,
            user_id=USER,
            category=Category.REPLY,
            priority=Priority.NOTIFICATION,
            text=LONG,
            payload={"parse_mode": "HTML"},
        )
    await h.idle()
    _check(world.to(USER)[before:])
