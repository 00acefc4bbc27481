"""Every press is answered: data no button declares at once, and a press in a busy group
before the replies that the group's flood limit holds back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits, SlidingWindow
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.e2e.test_commands_authz import all_jobs_disabled, dump

USER, UK_USER, MEMBER = 2, 3, 4
GROUP = -1_002_000_000_011  # the moderators' group
STALE = "This button is no longer valid."
# Data no button declares: another prefix, a truncated one, a stale one, none at all.
UNDECLARED = ("gone:1", "missio", "mod", "lang:", "zz:30", "", "¹²", "\x00" * 64)


def _answered(h: Harness, query_id: str) -> Callable[[], dict[str, Any] | None]:
    answers = h.sandbox.world.callback_answers
    return lambda: next((a for a in answers if a["callback_query_id"] == query_id), None)


async def _answer(h: Harness, user_id: int, message: SentMessage, data: str) -> str:
    query_id = h.sandbox.world.press(user_id, message, data)
    answer: dict[str, Any] = await h.wait(_answered(h, query_id))
    return str(answer.get("text", ""))


async def test_a_press_no_button_declares_is_answered_and_changes_nothing(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """Forged, truncated or stale data is answered "This button is no longer valid." in the
    presser's language; nothing is sent or edited and no row changes."""
    h: Harness = await harness_factory(jobs=all_jobs_disabled(tmp_path), **UNPACED)
    h.sandbox.world.user(UK_USER, language_code="uk")
    mine, theirs = (await h.say(USER, "/start"))[0], (await h.say(UK_USER, "/start"))[0]
    await h.idle()
    world = h.sandbox.world
    before, sent = await dump(h), len(world.messages)
    for data in UNDECLARED:
        assert await _answer(h, USER, mine, data) == STALE, data
        assert await _answer(h, UK_USER, theirs, data) == "Ця кнопка більше не дійсна.", data
    await h.idle()
    assert world.messages[sent:] == [] and mine.edits == theirs.edits == 0
    assert await dump(h) == before


async def test_a_press_in_a_busy_group_is_answered_before_its_queued_replies(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """The group's flood budget (one message a second here) is spent and replies wait
    behind it; a moderator's press in that group is answered before they are all sent:
    the press does not wait for the chat's turn, and its answer is not paced."""
    h: Harness = await harness_factory(
        jobs=all_jobs_disabled(tmp_path),
        moderation_chat_id=GROUP,
        rate_group_per_minute=600.0,  # the bot's own window is wide: Telegram's is the limit
        **UNPACED,
    )
    h.sandbox.set_limits(FloodLimits(private=None, group=SlidingWindow(1, 1.0)))
    world, queued = h.sandbox.world, 5
    world.chat(GROUP, "supergroup", "Moderators")
    for _ in range(queued):
        world.send_in_chat(GROUP, MEMBER, "/whoami")
    first: SentMessage = await h.wait(lambda: next(iter(world.to(GROUP)), None))
    query_id = world.press(ADMIN, first, "mod:a:999")
    answer: dict[str, Any] = await h.wait(_answered(h, query_id), timeout=30)
    sent_by_then = len(world.to(GROUP))
    await h.wait(lambda: len(world.to(GROUP)) == queued, timeout=60)
    assert answer.get("text") == "Suggestion #999 does not exist (any more)."
    assert sent_by_then < queued, "the press was answered after every queued reply"
    assert h.sandbox.too_many_requests > 0  # the group's budget was indeed spent
