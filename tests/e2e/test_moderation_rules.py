"""Moderation's automatic checks, races and bad input, through the real bot and the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.core.kernel.clock import ManualClock
from bot.modules.moderation import review
from bot.modules.moderation.service import Moderator
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

SECOND_MODERATOR = 2


async def test_blocked_word_with_a_lookalike_letter_is_auto_rejected(
    harness_factory: Callable[..., Any],
) -> None:
    """'саsino' (Cyrillic с, а) matches the blocked word casino: refused at once, no card."""
    h = await moderated_bot(harness_factory, moderation={"blocked_words": ["casino"]})
    text = await answer(h, AUTHOR, "/suggest Best САSINO in town", "not accepted")
    assert text == "Suggestion #1 was not accepted: it contains a blocked word (casino)."
    [submission] = await submissions(h)
    assert (submission.state, submission.reason) == (
        "auto_rejected",
        "it contains a blocked word (casino)",
    )
    assert not any((m.text or "").startswith("Suggestion") for m in h.sandbox.world.to(ADMIN))


async def test_too_many_pending_and_duplicates_are_auto_rejected(
    harness_factory: Callable[..., Any],
) -> None:
    """The N-pending quota and an exact duplicate (after normalisation) are refused."""
    h = await moderated_bot(harness_factory, moderation={"max_pending_per_author": 2})
    await answer(h, AUTHOR, "/suggest Cats are great", "waits for review")
    dup = await answer(h, AUTHOR, "/suggest  CATS   are ＧＲＥＡＴ", "not accepted")
    assert dup == "Suggestion #2 was not accepted: the same post was suggested before."
    await answer(h, AUTHOR, "/suggest Dogs too", "waits for review")
    full = await answer(h, AUTHOR, "/suggest And birds", "not accepted")
    assert "you already have 2 suggestions waiting" in full
    assert [s.state for s in await submissions(h)] == [
        "pending",
        "auto_rejected",
        "pending",
        "auto_rejected",
    ]


async def test_daily_quota_and_links(harness_factory: Callable[..., Any]) -> None:
    """M a day counts decided ones too; links are refused unless allowed."""
    h = await moderated_bot(harness_factory, moderation={"max_per_day": 1})
    link = await answer(h, AUTHOR, "/suggest see example.com now", "not accepted")
    assert link.endswith("links are not allowed.")
    await answer(h, AUTHOR, "/suggest One", "waits for review")
    await press(h, ADMIN, await card_for(h, ADMIN, 2), "mod:r:2:1")
    await told(h, AUTHOR, "#2 was not accepted")  # the decision's notice, before the next try
    assert "at most 1 suggestion a day" in await answer(h, AUTHOR, "/suggest Two", "a day")


async def test_bad_input_gets_an_answer_and_stores_nothing(
    harness_factory: Callable[..., Any],
) -> None:
    """4,096+ characters and a photo without caption: a clear answer, no row, no card."""
    h = await moderated_bot(harness_factory)
    long_text = await answer(h, AUTHOR, "/suggest " + "x" * 4100, "Not accepted")
    assert (
        long_text == "Not accepted: the text has 4100 characters; at most 4096. Nothing was saved."
    )
    await answer(h, AUTHOR, "/suggest", "Send the post now")
    h.sandbox.world.send_media(AUTHOR, "photo", None, "bare")
    assert "Nothing was saved" in await told(h, AUTHOR, "the post needs a caption")
    assert await submissions(h) == []


async def test_forged_and_stale_callbacks_change_nothing(
    harness_factory: Callable[..., Any],
) -> None:
    """A non-moderator's forged Approve, an unknown id and garbage data: answered, no change."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest Please approve me", "waits for review")
    card = await card_for(h, ADMIN, 1)
    mine = h.sandbox.world.to(AUTHOR)[-1]
    assert await press(h, AUTHOR, mine, "mod:a:1") == "Only moderators can decide suggestions."
    assert await press(h, ADMIN, card, "mod:a:999") == "Suggestion #999 does not exist (any more)."
    assert await press(h, ADMIN, card, "mod:r:1:9") == "Unknown button."
    assert await press(h, ADMIN, card, "mod:x:1") == "Unknown button."
    assert [s.state for s in await submissions(h)] == ["pending"]
    assert await posts(h) == [] and await author_notices(h, 1) == []


async def test_two_moderators_at_once_one_decision(harness_factory: Callable[..., Any]) -> None:
    """Approve and Reject pressed together: one decision, one author notice, at most one post."""
    h = await moderated_bot(harness_factory, moderator_ids=f"{ADMIN},{SECOND_MODERATOR}")
    await answer(h, AUTHOR, "/suggest Race me", "waits for review")
    first, second = await card_for(h, ADMIN, 1), await card_for(h, SECOND_MODERATOR, 1)
    answers = await asyncio.gather(
        press(h, ADMIN, first, "mod:a:1"), press(h, SECOND_MODERATOR, second, "mod:r:1:0")
    )
    assert sum(a.startswith("Already decided by") for a in answers) == 1, answers
    [submission] = await submissions(h)
    assert len(await author_notices(h, 1)) == 1
    assert len(await posts(h)) == (1 if submission.state == "scheduled" else 0)


async def test_concurrent_decisions_in_one_process(harness_factory: Callable[..., Any]) -> None:
    """Five decisions racing on one row (gathered coroutines): exactly one wins."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest Contended", "waits for review")
    moderators = [Moderator(i, f"M{i}") for i in range(10, 15)]
    answers = await asyncio.gather(
        *(review.decide(h.services, 1, "a" if m.id % 2 else "r", m, "spam") for m in moderators)
    )
    assert sum(not a.startswith("Already decided by") for a in answers) == 1, answers
    assert len(await author_notices(h, 1)) == 1
    assert len(await posts(h)) <= 1


async def test_decision_while_the_author_withdraws(harness_factory: Callable[..., Any]) -> None:
    """Approve and withdraw at once: one outcome; the loser is told what happened."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest Maybe not", "waits for review")
    card = await card_for(h, ADMIN, 1)
    await answer(h, AUTHOR, "/mysuggestions", "#1 pending")
    listing = h.sandbox.world.to(AUTHOR)[-1]
    moderator, author = await asyncio.gather(
        press(h, ADMIN, card, "mod:a:1"), press(h, AUTHOR, listing, "modw:1")
    )
    [submission] = await submissions(h)
    if submission.state == "withdrawn":
        assert author == "Suggestion #1 is withdrawn." and "Already decided by" in moderator
        assert await posts(h) == []
    else:
        assert moderator == "Suggestion #1 approved." and "cannot be withdrawn" in author
        assert len(await posts(h)) == 1


async def test_ban_rejects_the_pending_and_refuses_new(harness_factory: Callable[..., Any]) -> None:
    """Ban: this and the author's other pending suggestions are rejected; /suggest refused."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest Spam one", "waits for review")
    await answer(h, AUTHOR, "/suggest Spam two", "waits for review")
    banned = await press(h, ADMIN, await card_for(h, ADMIN, 1), "mod:b:1")
    assert banned == "Author banned; #1 and 1 other rejected."
    assert [s.state for s in await submissions(h)] == ["rejected", "rejected"]
    refused = await answer(h, AUTHOR, "/suggest Spam three", "Not accepted")
    assert refused == "Not accepted: you can no longer suggest posts. Nothing was saved."


async def test_sla_digest_and_backlog_alert(harness_factory: Callable[..., Any]) -> None:
    """After MODERATION__SLA_MINUTES the digest lists the late ones; the backlog alerts once."""
    clock = ManualClock(START)
    h = await moderated_bot(
        harness_factory, clock, moderation={"sla_minutes": 30, "backlog_alert": 2}
    )
    await answer(h, AUTHOR, "/suggest Old one", "waits for review")
    clock.advance(timedelta(minutes=20))
    await answer(h, AUTHOR, "/suggest Newer one", "waits for review")
    clock.advance(timedelta(minutes=15))
    assert await h.run_job("moderation.sla_digest") == "1 late of 2 pending"
    digest = await told(h, ADMIN, "waiting longer than 30 min")
    assert "#1 since 2026-11-21 09:00 UTC" in digest and "#2" not in digest
    await told(h, ADMIN, "Moderation backlog: 2 suggestions")
    await h.run_job("moderation.sla_digest")
    backlog = [m for m in h.sandbox.world.to(ADMIN) if "Moderation backlog" in (m.text or "")]
    assert len(backlog) == 1


async def test_modqueue_lists_oldest_first_for_moderators_only(
    harness_factory: Callable[..., Any],
) -> None:
    """/modqueue shows what waits, oldest first; others are refused."""
    clock = ManualClock(START)
    h = await moderated_bot(harness_factory, clock)
    await answer(h, AUTHOR, "/suggest alpha", "waits for review")
    clock.advance(timedelta(minutes=5))
    await answer(h, 6, "/suggest beta", "waits for review")
    queue = await answer(h, ADMIN, "/modqueue", "Waiting for review")
    assert queue.index("#1") < queue.index("#2") and "alpha" in queue and "beta" in queue
    assert "for moderators only" in await answer(h, AUTHOR, "/modqueue", "moderators")


async def test_modqueue_items_can_be_decided_from_the_list(
    harness_factory: Callable[..., Any],
) -> None:
    """Each waiting item of /modqueue has Approve and Reject buttons that decide it as its
    card's do; the next /modqueue no longer lists it."""
    h = await moderated_bot(harness_factory, ManualClock(START))
    await answer(h, AUTHOR, "/suggest alpha", "waits for review")
    await answer(h, 6, "/suggest beta", "waits for review")
    await answer(h, ADMIN, "/modqueue", "Waiting for review")
    listing = next(
        m for m in reversed(h.sandbox.world.to(ADMIN)) if "Waiting for review" in (m.text or "")
    )
    texts = [b["text"] for b in listing.buttons()]
    assert texts == ["✅ #1", "❌ #1 off-topic", "✅ #2", "❌ #2 off-topic"]
    assert await press(h, ADMIN, listing, "mod:a:1") == "Suggestion #1 approved."
    assert await press(h, ADMIN, listing, "mod:r:2:0") == "Suggestion #2 rejected: off-topic."
    assert "Nothing waits for review." in await answer(h, ADMIN, "/modqueue", "review")
