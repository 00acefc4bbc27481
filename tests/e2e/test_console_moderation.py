"""The console's Moderation page over real loopback HTTP against the running bot (and the
sandbox Bot API): the queue /modqueue shows, and approve, reject and ban through the same
decision as a review card's buttons, so a decision in the chat and one in the console at
once make one decision. Every refusal (403, 404, 400, 409, CSRF) changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, or_, select

from bot.core.delivery import OutboxMessage
from bot.core.web.models import ConsoleAudit
from bot.modules.moderation.models import BannedAuthor
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.chat import answer, told
from tests.helpers.clocks import START
from tests.helpers.console import Answer, ConsoleClient, sign_init_data
from tests.helpers.moderation import (
    AUTHOR,
    author_notices,
    card_for,
    moderated_bot,
    posts,
    press,
    states,
    submissions,
)
from tests.helpers.servers import free_port

MODERATOR, STRANGER = 77, 6
MODERATOR_NAME = f"User{MODERATOR}"  # the sandbox's name, as the bot stored it at /start


@pytest.fixture
async def bot(harness_factory: Callable[..., Any]) -> tuple[Harness, int]:
    """A bot with two moderators (the admin and a moderator who is not an admin) serving
    the console on a free loopback port; the moderator has talked to the bot (it knows
    their name)."""
    port = free_port()
    h = await moderated_bot(
        harness_factory,
        http_port=port,
        console_url=f"http://127.0.0.1:{port}/console/",
        moderator_ids=f"{ADMIN},{MODERATOR}",
    )
    await answer(h, MODERATOR, "/start", "")
    return h, port


def signed(h: Harness, user: int) -> str:
    """initData signed by the test bot's token, dated by the bot's (manual) clock."""
    return sign_init_data(h.app.bot.token, user, auth_date=h.services.clock.now().timestamp())


def client(h: Harness, port: int, user: int = MODERATOR) -> ConsoleClient:
    return ConsoleClient(port, signed(h, user))


async def suggest(h: Harness, author: int, text: str) -> int:
    """``author`` suggests ``text``; the new submission's id once its card reached the admin."""
    await answer(h, author, f"/suggest {text}", "waits for review")
    ident = (await submissions(h))[-1].id
    await card_for(h, ADMIN, ident)
    return ident


async def footprint(h: Harness) -> dict[str, Any]:
    """What a refused request must leave as it was: the submissions, the posts, the bans,
    the author notices and card edits queued."""
    async with h.services.db.session() as session:
        notices = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.key.startswith("moderation:"),
                    OutboxMessage.key.startswith("modcard-edit:"),
                )
            )
        )
        bans = await session.scalar(select(func.count()).select_from(BannedAuthor))
    rows = [(s.id, s.state, s.reason, s.decided_by) for s in await submissions(h)]
    return {"submissions": rows, "posts": len(await posts(h)), "bans": bans, "notices": notices}


async def audit(h: Harness) -> list[tuple[int, str, str | None, str]]:
    async with h.services.db.session() as session:
        rows = await session.scalars(select(ConsoleAudit).order_by(ConsoleAudit.id))
        return [(row.user_id, row.action, row.target, row.result) for row in rows]


def messages_to(h: Harness, chat_id: int, needle: str) -> list[str]:
    return [m.text or "" for m in h.sandbox.world.to(chat_id) if needle in (m.text or "")]


async def test_the_queue_lists_pending_suggestions_with_previews(bot: tuple[Harness, int]) -> None:
    """The queue: pending suggestions oldest first, with their text, media kind, author (as
    shown_name shows a name: a link stays text) and when; decided ones are gone; the
    configured reject reasons in the reader's language. A moderator who is not an admin sees
    the Moderation page and no other."""
    h, port = bot
    h.sandbox.world.user(AUTHOR, "evil.com/login")
    first = await suggest(h, AUTHOR, "Hello channel")
    h.sandbox.world.send_media(8, "photo", "/suggest Sunset", "sunset-1")
    await told(h, 8, "waits for review")
    third = await suggest(h, 9, "Decided soon")
    await press(h, ADMIN, await card_for(h, ADMIN, third), f"mod:r:{third}:0")
    async with client(h, port) as console:
        me = (await console.get("me")).body
        listed = await console.get("moderation/queue")
    assert me["role"] == "moderator"
    assert [(p["id"], p["script"]) for p in me["pages"]] == [
        ("moderation", "/console/static/moderation/moderation.js")
    ]
    assert listed.status == 200
    body = listed.body
    assert body["total"] == 2
    assert [r["text"] for r in body["reasons"]] == ["off-topic", "low quality", "spam"]
    [text, photo] = body["queue"]
    assert (text["id"], text["kind"], text["text"]) == (first, "text", "Hello channel")
    assert text["author"] == "evil.\u2060com/\u2060login" and text["author_id"] == AUTHOR
    assert text["created_at"].startswith(START.date().isoformat()) and text["since"]
    assert (photo["kind"], photo["text"], photo["author_id"]) == ("photo", "Sunset", 8)


async def test_approve_from_the_console_reaches_the_author_once(bot: tuple[Harness, int]) -> None:
    """Approve from the API: the post is scheduled once (the next free slot), the author is
    told once, the cards show who approved; approving again is 409 naming who decided and
    changes nothing; both are in the audit log."""
    h, port = bot
    ident = await suggest(h, AUTHOR, "From the console")
    card = await card_for(h, ADMIN, ident)
    async with client(h, port) as console:
        approved = await console.post(f"moderation/{ident}/approve", {})
        assert approved.status == 200, approved
        assert approved.body["state"] == "scheduled"
        assert approved.body["publish_at"] == (START + timedelta(hours=1)).isoformat()
        notice = await told(h, AUTHOR, "was approved")
        assert notice == (
            f"Your suggestion #{ident} was approved; it will appear at 2026-11-21 10:00 UTC."
        )
        await h.wait(lambda: f"Approved by {MODERATOR_NAME}" in (card.text or ""))
        before = await footprint(h)
        again = await console.post(f"moderation/{ident}/approve", {})
        assert again.status == 409
        assert again.body["error"] == f"Already decided by {MODERATOR_NAME} (scheduled)."
        assert await footprint(h) == before
    await h.idle()
    assert len(messages_to(h, AUTHOR, "was approved")) == 1
    assert len(await author_notices(h, ident)) == 1
    [post] = await posts(h)
    assert (post.source, post.source_item_id, post.status) == (
        "moderation",
        str(ident),
        "scheduled",
    )
    assert post.publish_at == START + timedelta(hours=1)
    assert await audit(h) == [
        (MODERATOR, "moderation.approve", str(ident), "ok"),
        (MODERATOR, "moderation.approve", str(ident), "refused"),
    ]


async def test_approve_at_a_chosen_time_as_approve_does(bot: tuple[Harness, int]) -> None:
    """``{"time": "+2h"}`` schedules the post two hours ahead, as ``/approve <id> +2h``; a
    time that is not one, in the past or past 30 days is 400 with /approve's reason and
    changes nothing."""
    h, port = bot
    ident = await suggest(h, AUTHOR, "Later, please")
    async with client(h, port) as console:
        before = await footprint(h)
        for bad, reason in (
            ({"time": "tomorrow"}, "is not a time"),
            ({"time": "+0m"}, "not in the future"),
            ({"time": "+31d"}, "more than 30 days ahead"),
            ({"time": "+²h"}, "is not a time"),
            ({"time": 7200}, "time:"),
        ):
            refused = await console.post(f"moderation/{ident}/approve", bad)
            assert refused.status == 400 and reason in refused.body["error"], (bad, refused)
        assert await footprint(h) == before
        approved = await console.post(f"moderation/{ident}/approve", {"time": "+2h"})
    assert approved.status == 200
    [post] = await posts(h)
    assert post.publish_at == START + timedelta(hours=2)
    assert await told(h, AUTHOR, "was approved") == (
        f"Your suggestion #{ident} was approved; it will appear at 2026-11-21 11:00 UTC."
    )


async def test_a_console_approve_racing_a_card_press_makes_one_decision(
    bot: tuple[Harness, int],
) -> None:
    """A console approve and a Reject pressed on the chat's card at the same moment, on
    several suggestions: each time exactly one wins, the other is told who decided (409 in
    the console, "Already decided by" on the press), the author gets one notice, and there
    is a post exactly when the approve won."""
    h, port = bot
    idents = [await suggest(h, author, f"Race {author}") for author in (AUTHOR, 8, 9, 10)]
    async with client(h, port) as console:
        for ident in idents:
            card = await card_for(h, ADMIN, ident)
            api, pressed = await asyncio.gather(
                console.post(f"moderation/{ident}/approve", {}),
                press(h, ADMIN, card, f"mod:r:{ident}:0"),
            )
            assert isinstance(api, Answer)
            if api.status == 200:
                assert pressed.startswith(f"Already decided by {MODERATOR_NAME} ("), pressed
            else:
                assert api.status == 409, api
                assert api.body["error"] == "Already decided by User1 (rejected).", api
                assert pressed == f"Suggestion #{ident} rejected: off-topic.", pressed
    await h.idle()
    rows = await submissions(h)
    approved = {s.id for s in rows if s.state == "scheduled"}
    assert {s.state for s in rows} <= {"scheduled", "rejected"}
    assert {int(p.source_item_id or 0) for p in await posts(h)} == approved
    for ident in idents:
        assert len(await author_notices(h, ident)) == 1


async def test_reject_with_a_reason_tells_the_author_the_reason(bot: tuple[Harness, int]) -> None:
    """Reject with one of the configured reasons (by its index, as the card's buttons): the
    author is told that reason, the card shows it, no post; a reason that is not one of
    them is 400 and changes nothing."""
    h, port = bot
    ident = await suggest(h, AUTHOR, "Meh")
    card = await card_for(h, ADMIN, ident)
    async with client(h, port) as console:
        before = await footprint(h)
        for bad in ({}, {"reason": 3}, {"reason": -1}, {"reason": "spam"}, {"reason": True},
                    {"reason": "¹"}, {"reason": None}, {"reason": [0]}):  # fmt: skip
            refused = await console.post(f"moderation/{ident}/reject", bad)
            assert refused.status == 400 and "reason" in refused.body["error"], (bad, refused)
        assert await footprint(h) == before
        rejected = await console.post(f"moderation/{ident}/reject", {"reason": 1})
    assert rejected.status == 200 and rejected.body["state"] == "rejected"
    assert rejected.body["message"] == f"Suggestion #{ident} rejected: low quality."
    assert await told(h, AUTHOR, "not accepted") == (
        f"Your suggestion #{ident} was not accepted: low quality."
    )
    await h.wait(lambda: f"Rejected by {MODERATOR_NAME}" in (card.text or ""))
    assert "low quality" in (card.text or "")
    assert await posts(h) == []


async def test_ban_rejects_the_author_s_pending_and_refuses_new(bot: tuple[Harness, int]) -> None:
    """Ban from the console: this and the author's other pending suggestion are rejected,
    the author is banned (a new /suggest is refused), someone else's suggestion waits on;
    a second ban is 409."""
    h, port = bot
    one, two = await suggest(h, AUTHOR, "Spam one"), await suggest(h, AUTHOR, "Spam two")
    other = await suggest(h, 8, "Fine post")
    async with client(h, port) as console:
        banned = await console.post(f"moderation/{one}/ban", {})
        assert banned.status == 200, banned
        assert banned.body["others"] == [two]
        assert banned.body["message"] == f"Author banned; #{one} and 1 other rejected."
        assert (await console.post(f"moderation/{one}/ban", {})).status == 409
        left = (await console.get("moderation/queue")).body["queue"]
    assert [item["id"] for item in left] == [other]
    await states(h, ["rejected", "rejected", "pending"])
    async with h.services.db.session() as session:
        ban = await session.get(BannedAuthor, AUTHOR)
    assert ban is not None and ban.banned_by == MODERATOR
    refused = await answer(h, AUTHOR, "/suggest Spam three", "Not accepted")
    assert refused == "Not accepted: you can no longer suggest posts. Nothing was saved."


async def test_refusals_change_nothing(bot: tuple[Harness, int]) -> None:
    """Someone neither admin nor moderator: 403 on every route; a cookie session without
    its CSRF token: 403; a guessed id (unknown, not a number, not ASCII, past the column):
    404; each changes nothing, and a moderator's refused changes are audited as refused."""
    h, port = bot
    ident = await suggest(h, AUTHOR, "Untouchable")
    changes: tuple[tuple[str, dict[str, Any]], ...] = (
        ("approve", {}),
        ("reject", {"reason": 0}),
        ("ban", {}),
    )
    before = await footprint(h)
    async with client(h, port, STRANGER) as console:
        assert (await console.get("moderation/queue")).status == 403
        for action, body in changes:
            assert (await console.post(f"moderation/{ident}/{action}", body)).status == 403
    async with client(h, port) as console:
        opened = await console.post("session")
        assert opened.status == 200
        console.init_data = None  # the cookie alone from here
        assert (await console.get("moderation/queue")).status == 200
        for action, body in changes:
            assert (await console.post(f"moderation/{ident}/{action}", body)).status == 403
        console.csrf = opened.body["csrf"]
        for guessed in ("999", "0", "abc", "²", "-1", str(2**31), "1.0"):
            for action, body in changes:
                refused = await console.post(f"moderation/{guessed}/{action}", body)
                assert refused.status == 404, (guessed, action, refused)
        for action in ("approve", "ban"):
            assert (await console.call("GET", f"moderation/{ident}/{action}")).status == 405
    assert await footprint(h) == before
    entries = await audit(h)
    assert {result for *_, result in entries} == {"refused"}
    assert {(user, action) for user, action, *_ in entries} == {
        (MODERATOR, "moderation.approve"),
        (MODERATOR, "moderation.reject"),
        (MODERATOR, "moderation.ban"),
    }
