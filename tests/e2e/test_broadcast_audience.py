"""/broadcast to an audience through the real bot: counted, previewed, sent once on Send,
not at all on Cancel; a bad audience is refused with the terms; /tag and /untag."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from bot.modules.broadcast.models import Broadcast, BroadcastDraft
from bot.modules.broadcast.service import announcement
from bot.sandbox import SentMessage
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.chat import answer
from tests.helpers.factories import register_users
from tests.helpers.moderation import press

PEOPLE = range(30_000, 30_006)


def _copies(h: Harness, text: str) -> Counter[int]:
    body = announcement(text)
    return Counter(m.chat_id for m in h.sandbox.world.messages if m.text == body)


def _button(question: SentMessage, verb: str) -> str:
    [data] = [b["callback_data"] for b in question.buttons() if verb in b["callback_data"]]
    return str(data)


async def _count(h: Harness, model: type[Broadcast] | type[BroadcastDraft]) -> int:
    async with h.services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_tagged_audience_is_counted_previewed_and_reached_exactly_once(
    harness: Harness,
) -> None:
    """Two of six users tagged "beta" (one of them later untagged from a third): the admin
    sees the count and the message as the users will read it, presses Send, and exactly the
    tagged users get it once; a second press of Send sends nothing more."""
    await register_users(harness.services, PEOPLE, world=harness.sandbox.world)
    assert "beta" in await answer(harness, ADMIN, "/tag 30001 beta vip-list", "Tags of 30001")
    await answer(harness, ADMIN, "/tag 30004 beta", "Tags of 30004: beta")
    await answer(harness, ADMIN, "/tag 30005 beta", "Tags of 30005: beta")
    assert "none" in await answer(harness, ADMIN, "/untag 30005 beta", "Tags of 30005")
    preview, question = await harness.say(ADMIN, "/broadcast tag:beta\nBeta news", replies=2)
    assert preview.text == announcement("Beta news")
    assert "Audience: tag:beta" in (question.text or "") and "2 users" in (question.text or "")
    assert await _count(harness, Broadcast) == 0  # nothing is sent before Send
    send = _button(question, "bcast:go:")
    assert await press(harness, ADMIN, question, send) == "Sending."
    await harness.wait(lambda: sum(_copies(harness, "Beta news").values()) == 3)  # + preview
    await harness.idle()
    assert _copies(harness, "Beta news") == Counter({ADMIN: 1, 30_001: 1, 30_004: 1})
    assert await press(harness, ADMIN, question, send) == "Already sent or cancelled."
    await harness.idle()
    assert sum(_copies(harness, "Beta news").values()) == 3
    async with harness.services.db.session() as session:
        [sent] = (await session.scalars(select(Broadcast))).all()
    assert (sent.audience, sent.total) == ("tag:beta", 2)


async def test_cancel_sends_nothing(harness: Harness) -> None:
    await register_users(harness.services, PEOPLE, world=harness.sandbox.world)
    _preview, question = await harness.say(ADMIN, "/broadcast Never mind", replies=2)
    assert "6 users" in (question.text or "")
    send = _button(question, "bcast:go:")
    await press(harness, ADMIN, question, _button(question, "bcast:no:"))
    await harness.wait(lambda: question.text == "Not sent.")
    assert not question.buttons()
    assert await press(harness, ADMIN, question, send) == "Already sent or cancelled."
    await harness.idle()
    assert dict(_copies(harness, "Never mind")) == {ADMIN: 1}  # the preview only
    assert await _count(harness, Broadcast) == 0 and await _count(harness, BroadcastDraft) == 0


async def test_a_bad_audience_is_refused_with_the_terms_and_keeps_nothing(
    harness: Harness,
) -> None:
    refusal = await harness.reply(ADMIN, "/broadcast colour:red\nHello")
    assert "No audience term “colour”" in refusal and "vip:" in refusal and "tag:" in refusal
    refusal = await harness.reply(ADMIN, "/broadcast seen:30\nHello")
    assert "“30” is not a value of seen" in refusal
    assert "Usage: /broadcast" in await harness.reply(ADMIN, "/broadcast lang:uk")  # no text
    assert await _count(harness, BroadcastDraft) == 0


async def test_a_url_on_the_first_line_is_text_for_everyone(harness: Harness) -> None:
    await register_users(harness.services, PEOPLE, world=harness.sandbox.world)
    _preview, question = await harness.say(
        ADMIN, "/broadcast https://example.org\nRead this", replies=2
    )
    assert "Audience: every user" in (question.text or "") and "6 users" in (question.text or "")


async def test_tag_usage_and_unknown_users(harness: Harness) -> None:
    await register_users(harness.services, PEOPLE, world=harness.sandbox.world)
    assert "Usage: /tag" in await harness.reply(ADMIN, "/tag 30001")
    assert "Usage: /tag" in await harness.reply(ADMIN, "/tag 30001 Bad Tag!")
    assert "Usage: /untag" in await harness.reply(ADMIN, "/untag")
    assert "No such user" in await harness.reply(ADMIN, "/tag 999 beta")
    assert "admins only" in await harness.reply(30_001, "/tag 30001 beta")
