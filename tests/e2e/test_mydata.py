"""/mydata against the sandbox: the person gets one JSON document (sendDocument) of what
the bot holds about them (profile and settings, ledger and balance, the reward for their
joining, their suggestions and their decisions, their VIP access and Stars payments), at
most once per configured period; a group is told to ask in private."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.modules.economy.models import Balance, LedgerEntry
from bot.modules.moderation.models import Submission
from bot.modules.referrals.models import ReferralReward
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from bot.sandbox.server import ApiError
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.stars import USER, pay, selling

INVITER, GROUP = 7201, -1_001_000_000_777


def refuse_documents(_params: dict[str, Any]) -> None:
    """What Telegram answers a file it will not take."""
    raise ApiError(400, "Bad Request: file is too big")


def _document(sent: SentMessage) -> dict[str, Any]:
    assert sent.method == "sendDocument", sent
    path = Path(str(sent.params["document"]))
    assert path.name.endswith(f"companion-mydata-{sent.chat_id}.json")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


async def test_mydata_sends_everything_held_about_the_person(
    harness_factory: Callable[..., Any],
) -> None:
    """The document holds the profile, ledger and balance, the referral, the suggestion,
    the VIP access and the Stars payment; a second ask soon after is refused politely."""
    h = await selling(harness_factory)
    await h.reply(INVITER, "/start")
    now = h.services.clock.now()
    async with h.services.db.session() as session:
        session.add_all(
            [
                LedgerEntry(
                    user_id=USER, amount=10, reason="mission", reference="1", created_at=now
                ),
                Balance(user_id=USER, points=10, streak=1),
                ReferralReward(invitee_id=USER, inviter_id=INVITER, points=5, created_at=now),
                Submission(
                    author_id=USER,
                    author_name="Person",
                    kind="text",
                    text="my post",
                    content_hash="h",
                    state="rejected",
                    reason="off topic",
                    decided_by=INVITER,
                    decided_by_name="Mod",
                    decided_at=now,
                    created_at=now,
                ),
            ]
        )
    charge = await pay(h)
    await h.idle()
    [sent] = await h.say(USER, "/mydata")
    document = _document(sent)
    parts = document["parts"]
    assert document["user_id"] == USER
    assert parts["core"]["profile"][0]["id"] == USER
    assert parts["economy"]["ledger"][0]["amount"] == 10
    assert parts["economy"]["balance"][0]["points"] == 10
    assert parts["referrals"]["reward_for_joining"][0]["points"] == 5
    [suggestion] = parts["moderation"]["suggestions"]
    assert (suggestion["text"], suggestion["reason"]) == ("my post", "off topic")
    assert "decided_by_name" not in suggestion  # the moderator's name is theirs
    assert parts["subscriptions"]["vip_access"][0]["status"] == "active"
    assert parts["subscriptions"]["stars_payments"][0]["charge_id"] == charge

    again = await h.reply(USER, "/mydata")
    assert "ask again in 10 minutes" in again


async def test_mydata_in_a_group_or_for_a_stranger(harness_factory: Callable[..., Any]) -> None:
    """In a group the command is refused (the data is private) and nothing is sent; for
    someone who never registered the document holds only the day they wrote."""
    h: Harness = await harness_factory(**UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    world = h.sandbox.world
    world.chat(GROUP, "supergroup", "Group")
    world.send_in_chat(GROUP, 7301, "/mydata")
    answer = await h.wait(lambda: next(iter(world.to(GROUP)), None))
    assert "private chat" in (answer.text or "")
    [sent] = await h.say(7301, "/mydata")
    parts = _document(sent)["parts"]
    assert list(parts) == ["analytics"]
    assert [day["user_id"] for day in parts["analytics"]["active_days"]] == [7301]


async def test_a_file_telegram_refuses_is_reported_and_not_counted(
    harness_factory: Callable[..., Any],
) -> None:
    """When Telegram refuses the file (here the sandbox answers sendDocument with a 400) the
    person is told, nothing is logged as an error, and they may ask again at once."""
    h: Harness = await harness_factory(**UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    h.sandbox.before["sendDocument"] = refuse_documents
    await h.reply(7302, "/start")
    first = await h.reply(7302, "/mydata")
    assert first.startswith("Telegram did not take the file"), first
    again = await h.reply(7302, "/mydata")
    assert again.startswith("Telegram did not take the file"), again
