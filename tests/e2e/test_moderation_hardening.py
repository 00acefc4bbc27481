"""Moderation against hostile input, through the real bot and the sandbox: numbers in other
digits or past an INTEGER id, refused suggestions sent by the hundred, names that look like
links."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.core.kernel.clock import ManualClock
from bot.modules.moderation.service import REFUSALS_KEPT
from tests.conftest import ADMIN
from tests.helpers.chat import answer, told
from tests.helpers.clocks import START
from tests.helpers.moderation import (
    AUTHOR,
    author_notices,
    card_for,
    moderated_bot,
    posts,
    press,
    submissions,
)

WITHDRAW_USAGE = "Usage: /withdraw <id> (see /mysuggestions)"
APPROVE_USAGE = "Usage: /approve <id> [when]"
# What Telegram would make clickable in plain text: a mention, a bare domain, a command.
CLICKABLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,}|[A-Za-z0-9-]\.[A-Za-z]{2,}|(?<!\w)/[A-Za-z]")
HOSTILE_NAME = "evil.com/login t.me/x @someone /start"


async def test_numbers_in_other_digits_or_past_an_id_change_nothing(
    harness_factory: Callable[..., Any],
) -> None:
    """/withdraw ², ²²²², ١ and 99999999999 get the usage; Withdraw and card buttons with
    '²' or '١' are unknown; /approve ① and times in other digits or before year 1 in
    Berlin are refused. The suggestion stays pending, nobody is told anything."""
    h = await moderated_bot(harness_factory, timezone="Europe/Berlin")
    await answer(h, AUTHOR, "/suggest Keep me", "waits for review")
    card = await card_for(h, ADMIN, 1)
    for ident in ("²", "²²²²", "١", "99999999999", "2147483648"):
        assert await answer(h, AUTHOR, f"/withdraw {ident}", "Usage") == WITHDRAW_USAGE
    await answer(h, AUTHOR, "/mysuggestions", "#1 pending")
    listing = h.sandbox.world.to(AUTHOR)[-1]
    for data in ("modw:²", "modw:١", "modw:99999999999"):
        assert await press(h, AUTHOR, listing, data) == "Unknown button."
    for ident in ("①", "١", "99999999999"):
        assert (await answer(h, ADMIN, f"/approve {ident}", "Usage")).startswith(APPROVE_USAGE)
    for when in ("+١h", "٢٠٢٦-11-22T09:00"):
        assert "not a time" in await answer(h, ADMIN, f"/approve 1 {when}", "Nothing changed")
    edge = await answer(h, ADMIN, "/approve 1 0001-01-01T00:00", "Nothing changed")
    assert edge == "Nothing changed: 0001-01-01T00:00 (Europe/Berlin) is out of range."
    for data in ("mod:a:²", "mod:a:١", "mod:b:١", "mod:r:1:١", "mod:a:99999999999"):
        assert await press(h, ADMIN, card, data) == "Unknown button."
    await h.idle()
    assert [s.state for s in await submissions(h)] == ["pending"]
    assert await posts(h) == [] and await author_notices(h, 1) == []
    assert card.edits == 0


async def test_refused_suggestions_are_kept_a_few_a_day_without_their_text(
    harness_factory: Callable[..., Any],
) -> None:
    """50 suggestions refused by the checks: each is answered, at most REFUSALS_KEPT rows a
    day are written (author, time, reason), none with the text or the media."""
    clock = ManualClock(START)
    h = await moderated_bot(harness_factory, clock, moderation={"blocked_words": ["casino"]})
    for n in range(50):
        refused = await answer(h, AUTHOR, f"/suggest casino offer {n} secret", "ccepted")
        assert "it contains a blocked word (casino)" in refused, refused
    rows = await submissions(h)
    assert len(rows) == REFUSALS_KEPT
    assert {(s.state, s.author_id, s.reason) for s in rows} == {
        ("auto_rejected", AUTHOR, "it contains a blocked word (casino)")
    }
    assert all(s.text == "" and s.file_id is None and s.content_hash == "" for s in rows)
    assert "Nothing was saved" in await answer(h, AUTHOR, "/suggest casino again", "ccepted")
    mine = await answer(h, AUTHOR, "/mysuggestions", "Your suggestions")
    assert "secret" not in mine and "#1 auto-rejected (it contains a blocked word (casino))" in mine
    await answer(h, AUTHOR, "/suggest A fine post", "waits for review")
    assert [s.state for s in await submissions(h)][-1] == "pending"


async def test_names_that_look_like_links_stay_text(harness_factory: Callable[..., Any]) -> None:
    """An author named like a link, a mention and a command: the card, its edit and
    /modqueue show the name, but nothing in it Telegram would make clickable."""
    h = await moderated_bot(harness_factory)
    h.sandbox.world.user(AUTHOR, first_name=HOSTILE_NAME)
    await answer(h, AUTHOR, "/suggest Plain words", "waits for review")
    card = await card_for(h, ADMIN, 1)
    shown = "evil.\u2060com/\u2060login t.\u2060me/\u2060x @\u2060someone /\u2060start"
    assert (card.text or "").startswith(f"Suggestion #1 from {shown} (id {AUTHOR}):")
    assert card.params.get("parse_mode") is None and not CLICKABLE.search(card.text or "")
    queue = await answer(h, ADMIN, "/modqueue", "Waiting for review")
    assert shown in queue and not CLICKABLE.search(queue)
    await press(h, ADMIN, card, "mod:r:1:0")
    await h.wait(lambda: "Rejected by" in (card.text or ""), 30)
    assert shown in (card.text or "") and not CLICKABLE.search(card.text or "")


async def test_an_invitee_named_like_a_link_reaches_the_inviter_as_text(
    harness_factory: Callable[..., Any],
) -> None:
    """The inviter's reward notice names the friend without a clickable link or mention."""
    h = await moderated_bot(harness_factory)
    inviter, invitee = 700, 701
    h.sandbox.world.user(invitee, first_name="t.me/x @someone")
    await answer(h, inviter, "/start", "Welcome")
    await answer(h, invitee, "/start ref_700", "Welcome")
    (mission,) = await h.say(invitee, "/mission")
    await press(h, invitee, mission, mission.buttons()[0]["callback_data"])
    notice = await told(h, inviter, "first mission")
    name = notice.split(" completed", 1)[0]
    assert name == "🎉 t.\u2060me/\u2060x @\u2060someone" and not CLICKABLE.search(name)
