"""Moderation through the real bot and the sandbox: /suggest, the review card, decisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.core.kernel.clock import ManualClock
from tests.conftest import ADMIN
from tests.e2e.conftest import CHANNEL
from tests.helpers.chat import answer, told
from tests.helpers.clocks import START
from tests.helpers.moderation import (
    AUTHOR,
    card_for,
    moderated_bot,
    posts,
    press,
    states,
    submissions,
)


async def test_suggest_approve_publish_tells_the_author(
    harness_factory: Callable[..., Any],
) -> None:
    """suggest → card → Approve → scheduled at the next slot → published → author gets the link."""
    clock = ManualClock(START)
    h = await moderated_bot(harness_factory, clock)
    await answer(h, AUTHOR, "/suggest Hello channel\nsecond line", "waits for review")
    card = await card_for(h, ADMIN, 1)
    assert "Hello channel\nsecond line" in (card.text or "")
    assert await press(h, ADMIN, card, "mod:a:1") == "Suggestion #1 approved."
    await h.wait(lambda: card.edits and "Approved by" in (card.text or ""))
    assert await told(h, AUTHOR, "approved") == (
        "Your suggestion #1 was approved; it will appear at 2026-11-21 10:00 UTC."
    )
    [post] = await posts(h)
    assert (post.source, post.source_item_id, post.status) == ("moderation", "1", "scheduled")
    clock.advance(timedelta(hours=1))
    assert await h.run_job("content.publish_due") == "queued 1 post for the channel"
    [published] = await h.wait(lambda: h.sandbox.world.to(CHANNEL))
    assert published.text == "Hello channel\nsecond line"
    link = f"https://t.me/c/{str(CHANNEL).removeprefix('-100')}/{published.message_id}"
    assert (
        await told(h, AUTHOR, "in the channel") == f"Your suggestion #1 is in the channel: {link}"
    )
    [submission] = await submissions(h)
    assert (submission.state, submission.message_id) == ("published", published.message_id)


async def test_approved_posts_take_consecutive_free_slots(
    harness_factory: Callable[..., Any],
) -> None:
    """Two approvals in the same hour get two different slots, and /posts lists both."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest first", "waits for review")
    await answer(h, AUTHOR, "/suggest second", "waits for review")
    for ident in (1, 2):
        await press(h, ADMIN, await card_for(h, ADMIN, ident), f"mod:a:{ident}")
    slots = [p.publish_at for p in await posts(h)]
    assert slots == [START + timedelta(hours=1), START + timedelta(hours=2)]
    listing = await answer(h, ADMIN, "/posts", "Waiting posts")
    assert "(moderation): first" in listing and "(moderation): second" in listing


async def test_reject_with_a_preset_reason(harness_factory: Callable[..., Any]) -> None:
    """A preset Reject button: the card shows it, the author is told the reason, no post."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest Meh", "waits for review")
    card = await card_for(h, ADMIN, 1)
    assert await press(h, ADMIN, card, "mod:r:1:0") == "Suggestion #1 rejected: off-topic."
    assert await told(h, AUTHOR, "not accepted") == (
        "Your suggestion #1 was not accepted: off-topic."
    )
    await h.wait(lambda: "Rejected by" in (card.text or ""), 30)
    assert await posts(h) == []


async def test_reject_with_a_reply_to_the_card(harness_factory: Callable[..., Any]) -> None:
    """A moderator's reply to the card in the moderators' group rejects with its text."""
    group = -1_002_000_000_009
    h = await moderated_bot(harness_factory, moderation_chat_id=group)
    h.sandbox.world.chat(group, "supergroup", "Moderators")
    await answer(h, AUTHOR, "/suggest Blurry photo story", "waits for review")
    card = await card_for(h, group, 1)
    assert not any((m.text or "").startswith("Suggestion") for m in h.sandbox.world.to(ADMIN))
    h.sandbox.world.send_reply(ADMIN, card, "too blurry, sorry")
    assert "too blurry" in await told(h, AUTHOR, "not accepted")
    await h.wait(
        lambda: "Rejected by" in (card.text or "") and "too blurry" in (card.text or ""), 30
    )
    [submission] = await submissions(h)
    assert (submission.state, submission.reason) == ("rejected", "too blurry, sorry")


async def test_withdraw_by_button_and_command(harness_factory: Callable[..., Any]) -> None:
    """Withdraw from /mysuggestions: the card says so; withdrawing again is refused."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest Changed my mind", "waits for review")
    card = await card_for(h, ADMIN, 1)
    await answer(h, AUTHOR, "/mysuggestions", "#1 pending")
    listing = h.sandbox.world.to(AUTHOR)[-1]
    assert [b["callback_data"] for b in listing.buttons()] == ["modw:1"]
    assert await press(h, AUTHOR, listing, "modw:1") == "Suggestion #1 is withdrawn."
    await h.wait(lambda: "Withdrawn by the author" in (card.text or ""), 30)
    assert "already withdrawn" in await answer(h, AUTHOR, "/withdraw 1", "Suggestion #1")
    assert "no suggestion #9" in await answer(h, AUTHOR, "/withdraw 9", "#9")
    assert "Already decided by" in await press(h, ADMIN, card, "mod:a:1")
    assert await posts(h) == []


async def test_someone_elses_withdraw_changes_nothing(harness_factory: Callable[..., Any]) -> None:
    """A user cannot withdraw another author's suggestion."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest Mine", "waits for review")
    assert "no suggestion #1" in await answer(h, 6, "/withdraw 1", "#1")
    assert [s.state for s in await submissions(h)] == ["pending"]


async def test_bare_suggest_takes_the_next_message(harness_factory: Callable[..., Any]) -> None:
    """/suggest alone, then a photo with a caption: one photo submission; its card says so."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest", "Send the post now")
    photo_id = h.sandbox.world.send_media(AUTHOR, "photo", "Sunset over the bay", "sunset-1")
    await told(h, AUTHOR, "waits for review")
    card = await card_for(h, ADMIN, 1)
    assert (card.text or "").startswith("Suggestion #1 [photo]")
    await press(h, ADMIN, card, "mod:a:1")
    [post] = await posts(h)
    assert (post.photo, post.text) == (f"photo-{photo_id}", "Sunset over the bay")


async def test_video_with_caption_is_published_as_video(
    harness_factory: Callable[..., Any],
) -> None:
    """A video with a /suggest caption is approved and sent to the channel with sendVideo."""
    clock = ManualClock(START)
    h = await moderated_bot(harness_factory, clock)
    h.sandbox.world.send_media(AUTHOR, "video", "/suggest Our clip", "clip-1")
    await told(h, AUTHOR, "waits for review")
    await press(h, ADMIN, await card_for(h, ADMIN, 1), "mod:a:1")
    clock.advance(timedelta(hours=1))
    await h.run_job("content.publish_due")
    [sent] = await h.wait(lambda: h.sandbox.world.to(CHANNEL))
    assert (sent.method, sent.text, sent.params["video"]) == ("sendVideo", "Our clip", "video-1")
    await told(h, AUTHOR, "in the channel")


async def test_edit_after_the_decision_changes_nothing(harness_factory: Callable[..., Any]) -> None:
    """Editing the /suggest message is answered; the decided text is what the channel gets."""
    clock = ManualClock(START)
    h = await moderated_bot(harness_factory, clock)
    sent = h.sandbox.world.send_text(AUTHOR, "/suggest The original")
    await told(h, AUTHOR, "waits for review")
    await press(h, ADMIN, await card_for(h, ADMIN, 1), "mod:a:1")
    h.sandbox.world.edit_text(AUTHOR, sent, "/suggest Something else entirely")
    assert "Edits do not change a suggestion" in await told(h, AUTHOR, "Edits")
    clock.advance(timedelta(hours=1))
    await h.run_job("content.publish_due")
    [published] = await h.wait(lambda: h.sandbox.world.to(CHANNEL))
    assert published.text == "The original"
    assert len(await submissions(h)) == 1


async def test_cancelpost_of_an_approved_suggestion(harness_factory: Callable[..., Any]) -> None:
    """/cancelpost on a suggestion's post: nothing is published and the author is told."""
    clock = ManualClock(START)
    h = await moderated_bot(harness_factory, clock)
    await answer(h, AUTHOR, "/suggest Short-lived", "waits for review")
    await press(h, ADMIN, await card_for(h, ADMIN, 1), "mod:a:1")
    [post] = await posts(h)
    assert "cancelled" in await answer(h, ADMIN, f"/cancelpost {post.id}", f"#{post.id}")
    notice = await told(h, AUTHOR, "will not appear")
    assert notice == (
        "Your suggestion #1 will not appear after all: an admin cancelled the scheduled post."
    )
    clock.advance(timedelta(hours=1))
    assert await h.run_job("content.publish_due") == "queued 0 posts for the channel"
    [submission] = await submissions(h)
    assert (submission.state, submission.reason) == (
        "rejected",
        "an admin cancelled the scheduled post",
    )


async def test_post_suggested_in_direct_messages_approved(
    harness_factory: Callable[..., Any],
) -> None:
    """A suggested post in the channel's DMs: card → Approve → approveSuggestedPost with the
    next slot as send date → Telegram's confirmation marks it scheduled; no second post."""
    h = await moderated_bot(harness_factory)
    dm = h.sandbox.world.direct_messages(CHANNEL)
    h.sandbox.world.suggest_post(AUTHOR, dm.id, "From the DMs")
    card = await card_for(h, ADMIN, 1)
    assert await press(h, ADMIN, card, "mod:a:1") == "Suggestion #1 approved."
    [sent] = await h.wait(lambda: h.sandbox.world.to(CHANNEL))
    assert sent.text == "From the DMs"
    assert sent.params["send_date"] == int((START + timedelta(hours=1)).timestamp())
    await h.wait(lambda: h.sandbox.stats["approveSuggestedPost"] == 1)
    [submission] = await states(h, ["scheduled"])
    assert submission.publish_at == START + timedelta(hours=1)
    assert await posts(h) == []


async def test_post_suggested_in_direct_messages_declined(
    harness_factory: Callable[..., Any],
) -> None:
    """Reject on a DM suggestion calls declineSuggestedPost with the reason as comment;
    one that fails the automatic checks is declined at once, without a card."""
    h = await moderated_bot(harness_factory, moderation={"blocked_words": ["casino"]})
    world = h.sandbox.world
    dm = world.direct_messages(CHANNEL)
    first = world.suggest_post(AUTHOR, dm.id, "Not for us")
    await press(h, ADMIN, await card_for(h, ADMIN, 1), "mod:r:1:1")
    world.suggest_post(AUTHOR, dm.id, "Best саsino")
    await states(h, ["rejected", "auto_rejected"])
    declines = await h.wait(
        lambda: (
            [p for m, p in world.calls if m == "declineSuggestedPost"][1:]
            and [p for m, p in world.calls if m == "declineSuggestedPost"]
        )
    )
    assert (declines[0]["message_id"], declines[0]["comment"]) == (first, "low quality")
    assert declines[1]["comment"] == "it contains a blocked word (casino)"
    assert world.suggested[(dm.id, first)]["suggested_post_info"]["state"] == "declined"
    assert world.to(CHANNEL) == []


async def test_approve_for_a_chosen_time(harness_factory: Callable[..., Any]) -> None:
    """/approve <id> +3h schedules at that time; bad times and non-moderators change nothing."""
    h = await moderated_bot(harness_factory)
    await answer(h, AUTHOR, "/suggest Timed", "waits for review")
    card = await card_for(h, ADMIN, 1)
    assert "more than 30 days" in await answer(h, ADMIN, "/approve 1 +31d", "Nothing changed")
    assert "not a time" in await answer(h, ADMIN, "/approve 1 soon", "Nothing changed")
    assert "moderators only" in await answer(h, AUTHOR, "/approve 1", "moderators")
    assert await submissions(h) and (await submissions(h))[0].state == "pending"
    assert await answer(h, ADMIN, "/approve 1 +3h", "approved") == "Suggestion #1 approved."
    await h.wait(lambda: "Approved by" in (card.text or ""), 30)
    [post] = await posts(h)
    assert post.publish_at == START + timedelta(hours=3)
    assert "2026-11-21 12:00 UTC" in await told(h, AUTHOR, "will appear at")
    assert "Already decided by" in await answer(h, ADMIN, "/approve 1", "decided")


async def test_withdrawn_dm_suggestion_is_declined(harness_factory: Callable[..., Any]) -> None:
    """Withdrawing a post suggested in the DMs declines it in Telegram too."""
    h = await moderated_bot(harness_factory)
    world = h.sandbox.world
    dm = world.direct_messages(CHANNEL)
    message_id = world.suggest_post(AUTHOR, dm.id, "Second thoughts")
    await card_for(h, ADMIN, 1)
    assert "withdrawn" in await answer(h, AUTHOR, "/withdraw 1", "Suggestion #1")
    await h.wait(
        lambda: world.suggested[(dm.id, message_id)]["suggested_post_info"]["state"] == "declined"
    )
    [params] = [p for m, p in world.calls if m == "declineSuggestedPost"]
    assert params["comment"] == "withdrawn by the author"


async def test_a_preset_reason_reaches_a_ukrainian_author_in_ukrainian(
    harness_factory: Callable[..., Any],
) -> None:
    """The preset reasons are translated where they are shown: a Ukrainian author reads
    «не за темою», the English admin still reads off-topic on the card."""
    h = await moderated_bot(harness_factory)
    h.sandbox.world.user(AUTHOR, language_code="uk")
    await answer(h, AUTHOR, "/start", "Вітаємо")
    await answer(h, AUTHOR, "/suggest Ну таке", "/mysuggestions")
    card = await card_for(h, ADMIN, 1)
    assert "❌ off-topic" in [b["text"] for b in card.buttons()]
    assert await press(h, ADMIN, card, "mod:r:1:0") == "Suggestion #1 rejected: off-topic."
    told_author = await told(h, AUTHOR, "не за темою")
    assert told_author.endswith("не за темою.") and "off-topic" not in told_author


async def test_the_author_reads_the_publishing_time_in_their_own_zone(
    harness_factory: Callable[..., Any],
) -> None:
    """An author who chose /timezone Europe/Kyiv reads when their post appears in Kyiv time."""
    h = await moderated_bot(harness_factory, ManualClock(START))
    await answer(h, AUTHOR, "/start", "Welcome")
    await answer(h, AUTHOR, "/timezone Europe/Kyiv", "Europe/Kyiv")
    await answer(h, AUTHOR, "/suggest Hello from Kyiv", "waits for review")
    assert (
        await press(h, ADMIN, await card_for(h, ADMIN, 1), "mod:a:1") == "Suggestion #1 approved."
    )
    assert await told(h, AUTHOR, "approved") == (
        "Your suggestion #1 was approved; it will appear at 2026-11-21 12:00 EET."
    )
