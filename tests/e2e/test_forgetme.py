"""/forgetme against the sandbox: after a confirmation the person is anonymised (profile
gone, their queued messages dropped, their id in no row) while the ledger's total, a
referrer's reward and a moderator's history stay whole; a cancelled, forged or stale press
changes nothing; a paying subscriber is told what they give up and their renewal is
cancelled with Telegram."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, func, select

from bot.core.delivery import OutboxMessage
from bot.core.kernel import Base
from bot.core.people import User, is_stand_in
from bot.modules.economy.models import Balance, LedgerEntry
from bot.modules.moderation.models import Submission
from bot.modules.referrals.models import ReferralReward
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.stars import USER, selling

INVITER, PERSON, MODERATOR = 7101, 7102, 7103
GROUP = -1_001_000_000_778
LATER = timedelta(days=1)


async def _seed(h: Harness) -> None:
    """PERSON, invited by INVITER: points, the inviter's reward for them, a suggestion a
    moderator rejected, a day of activity, a tag and a message queued to them for later."""
    await h.reply(INVITER, "/start")
    await h.reply(PERSON, f"/start ref_{INVITER}")
    now = h.services.clock.now()
    async with h.services.db.session() as session:
        session.add_all(
            [
                LedgerEntry(
                    user_id=PERSON, amount=10, reason="mission", reference="1", created_at=now
                ),
                LedgerEntry(
                    user_id=INVITER,
                    amount=5,
                    reason="referral",
                    reference=str(PERSON),
                    created_at=now,
                ),
                Balance(user_id=PERSON, points=10, streak=1),
                ReferralReward(
                    invitee_id=PERSON, inviter_id=INVITER, points=5, created_at=now, paid_at=now
                ),
                Submission(
                    author_id=PERSON,
                    author_name="Person",
                    kind="text",
                    text="a post",
                    content_hash="h",
                    state="rejected",
                    reason="off topic",
                    decided_by=MODERATOR,
                    decided_by_name="Mod",
                    decided_at=now,
                    created_at=now,
                ),
                OutboxMessage(
                    key=f"later:{PERSON}",
                    chat_id=PERSON,
                    user_id=PERSON,
                    category="announcement",
                    method="sendMessage",
                    payload={"text": "later"},
                    priority=5,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now + LATER,
                    created_at=now,
                ),
            ]
        )


async def _ask(h: Harness, user_id: int) -> SentMessage:
    [question] = await h.say(user_id, "/forgetme")
    assert question.buttons(), question.text
    return question


async def _press(h: Harness, user_id: int, question: SentMessage, data: str) -> None:
    world = h.sandbox.world
    edits, answers = question.edits, len(world.callback_answers)
    world.press(user_id, question, data)
    await h.wait(lambda: question.edits > edits or len(world.callback_answers) > answers)
    await h.idle()


def _confirm(question: SentMessage) -> str:
    return str(question.buttons()[0]["callback_data"])


def _cancel(question: SentMessage) -> str:
    return str(question.buttons()[1]["callback_data"])


async def _ids_in_rows(h: Harness, user_id: int) -> list[str]:
    """Every "table.column" where ``user_id`` appears: as a number in an integer column,
    or as the whole value of a string column."""
    found = []
    async with h.services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.c:
                if isinstance(column.type, BigInteger | Integer):
                    value: Any = user_id
                elif isinstance(column.type, String | Text):
                    value = str(user_id)
                else:
                    continue
                query = select(func.count()).select_from(table).where(column == value)
                if await session.scalar(query):
                    found.append(f"{table.name}.{column.name}")
    return found


async def _ledger_total(h: Harness) -> int:
    async with h.services.db.session() as session:
        return int(await session.scalar(select(func.sum(LedgerEntry.amount))) or 0)


async def test_confirmed_forgetting_anonymises_and_keeps_others_whole(
    harness_factory: Callable[..., Any],
) -> None:
    """Confirm: the profile and queued message go, the id is in no row, the ledger's total,
    the inviter's reward and the moderator's decision stay; /start again is a new user."""
    h: Harness = await harness_factory(**UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    await _seed(h)
    total = await _ledger_total(h)
    question = await _ask(h, PERSON)
    assert "cannot undo" in (question.text or "")
    await _press(h, PERSON, question, _confirm(question))
    assert "forgotten you" in (question.text or "")

    assert await _ids_in_rows(h, PERSON) == []
    assert await _ledger_total(h) == total
    async with h.services.db.session() as session:
        assert await session.get(User, PERSON) is None
        assert (await session.get(User, INVITER)) is not None
        reward = await session.scalar(select(ReferralReward))
        assert reward is not None and reward.inviter_id == INVITER and reward.points == 5
        assert is_stand_in(reward.invitee_id)
        inviters = await session.scalar(select(LedgerEntry).where(LedgerEntry.user_id == INVITER))
        assert inviters is not None and inviters.amount == 5
        assert inviters.reference == str(reward.invitee_id)
        entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.reason == "mission"))
        assert entry is not None and entry.user_id == reward.invitee_id  # one stand-in
        decided = await session.scalar(select(Submission))
        assert decided is not None and decided.decided_by == MODERATOR
        assert (decided.decided_by_name, decided.author_name) == ("Mod", "")
        assert decided.author_id == reward.invitee_id
        queued = select(func.count()).where(OutboxMessage.key == f"later:{PERSON}")
        assert await session.scalar(queued.select_from(OutboxMessage)) == 0

    assert (await h.reply(PERSON, "/start")).startswith("Welcome to Companion")


async def test_cancelled_forged_and_stale_presses_change_nothing(
    harness_factory: Callable[..., Any],
) -> None:
    """A token of an earlier question (Forget me or Cancel), a forged token, Cancel, and a
    press of a token Cancel spent each leave every row as it was; the refused ones edit
    nothing."""
    h: Harness = await harness_factory(**UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    await _seed(h)
    first = await _ask(h, PERSON)
    second = await _ask(h, PERSON)  # the first question's token is now stale
    confirm, cancel, world = _confirm(second), _cancel(second), h.sandbox.world
    await _press(h, PERSON, first, _confirm(first))
    await _press(h, PERSON, second, "forget:yes:forged-token")
    assert "expired" in str(world.callback_answers[-1])
    await _press(h, PERSON, second, _cancel(first))  # the stale question's Cancel
    assert "expired" in str(world.callback_answers[-1]) and second.edits == 0
    await _press(h, PERSON, second, cancel)
    assert "Nothing was deleted" in (second.text or "")
    await _press(h, PERSON, second, confirm)  # spent by the cancel
    assert "expired" in str(world.callback_answers[-1])
    found = await _ids_in_rows(h, PERSON)
    assert {"users.id", "transactions.user_id", "submissions.author_id", "outbox.user_id"} <= set(
        found
    )
    async with h.services.db.session() as session:
        user = await session.get(User, PERSON)
        assert user is not None and user.referrer_id == INVITER


async def test_a_paying_subscriber_is_told_and_the_renewal_is_cancelled(
    harness_factory: Callable[..., Any],
) -> None:
    """A renewing subscriber's question lists what they give up; confirming cancels the
    renewal with Telegram before their records are anonymised."""
    h = await selling(harness_factory, vip_stars_monthly=100)
    world = h.sandbox.world
    world.star_clock = lambda: h.services.clock.now().timestamp()
    sent = await h.say(USER, "/subscribe", replies=2)
    [offer] = [m for m in sent if m.method == "sendMessage" and m.buttons()]
    paid = len(world.payments)
    world.subscribe(USER, str(offer.buttons()[0]["url"]))
    await h.wait(lambda: len(world.payments) > paid)
    await h.run_job("subscriptions.settle_payments")
    await h.idle()
    question = await _ask(h, USER)
    assert "You give up" in (question.text or "")
    assert "VIP access ends at once" in (question.text or "")
    assert "no further charges" in (question.text or "")
    await _press(h, USER, question, _confirm(question))
    assert world.star_subscriptions[USER]["canceled"] is True
    assert await _ids_in_rows(h, USER) == []


async def test_forgetme_in_a_group_is_refused(harness_factory: Callable[..., Any]) -> None:
    """In a group /forgetme asks nothing and changes nothing: it is for a private chat."""
    h: Harness = await harness_factory(**UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    await _seed(h)
    world = h.sandbox.world
    world.chat(GROUP, "supergroup", "Group")
    world.send_in_chat(GROUP, PERSON, "/forgetme")
    answer = await h.wait(lambda: next(iter(world.to(GROUP)), None))
    assert "private chat" in (answer.text or "") and not answer.buttons()
    await h.idle()
    assert "users.id" in await _ids_in_rows(h, PERSON)
