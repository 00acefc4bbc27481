"""Who may press each button, generated from the button catalogue: a button added later is
covered without writing a test for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.telegram import Button, Guard
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.e2e.test_commands_authz import all_jobs_disabled, dump

USER, OTHER, MODERATOR = 2, 3, 4
GROUP, ROOM = -1_002_000_000_009, -1_002_000_000_010  # a group; the moderators' group
# Data with which each button would change something if it ran; others get prefix + "1".
EXAMPLES = {
    "tz:": "tz:Europe/Kyiv",
    "lang:set:": "lang:set:uk",
    "mission:": "mission:done:1",
    "notif:": "notif:toggle:reminders",
    "mod:": "mod:a:1",
}
# What follows a prefix in a forged, stale or truncated press.
FORGED = ("", "¹²", "١٢", "1:2:3:4:5", "x" * 60, "\x00", "-0x1", "99999999999999999999")


@dataclass(frozen=True, slots=True)
class Press:
    """A press to try: who, under which bot message, with what data."""

    name: str
    user_id: int
    message: SentMessage
    data: str


async def _start(harness_factory: Callable[..., Any], tmp_path: Path) -> Harness:
    h: Harness = await harness_factory(
        jobs=all_jobs_disabled(tmp_path),
        moderator_ids=f"{ADMIN},{MODERATOR}",
        moderation_chat_id=ROOM,
        **UNPACED,
    )
    h.sandbox.set_limits(FloodLimits.lifted())
    for chat in (GROUP, ROOM):
        h.sandbox.world.chat(chat, "supergroup", "Members")
    for user in (USER, OTHER, ADMIN, MODERATOR):
        await h.say(user, "/start")
    await h.services.runner.caught_up()
    return h


def _entitled(h: Harness, guard: Guard) -> int:
    """Someone the guard admits in their private chat: the owner, else an admin or moderator."""
    if guard.who is None:
        return USER
    return next(u for u in (USER, MODERATOR, ADMIN) if guard.who(h.services.settings, u))


async def _bot_message(h: Harness, chat_id: int) -> SentMessage:
    """A message the bot sent to ``chat_id`` (its answer to /whoami there)."""
    world = h.sandbox.world
    if chat_id > 0:
        return (await h.say(chat_id, "/whoami"))[0]
    before = len(world.to(chat_id))
    world.send_in_chat(chat_id, USER, "/whoami")
    await h.wait(lambda: len(world.to(chat_id)) > before)
    return world.to(chat_id)[before]


async def _refused_presses(h: Harness, button: Button) -> list[Press]:
    """Presses the guard must refuse: an ordinary user's, another user's, in a wrong chat."""
    guard, data = button.guard, EXAMPLES.get(button.prefix, button.prefix + "1")
    entitled = _entitled(h, guard)
    own = await _bot_message(h, entitled)
    presses = [
        Press("another user", OTHER, own, data),
        Press("in a group", entitled, await _bot_message(h, GROUP), data),
    ]
    if guard.who is not None:
        presses.append(Press("an ordinary user", USER, await _bot_message(h, USER), data))
        presses.append(
            Press("an ordinary user in the room", USER, await _bot_message(h, ROOM), data)
        )
    return presses


async def _forged_presses(h: Harness, button: Button) -> list[Press]:
    """Forged data pressed by the one entitled, where they may press, and by anyone else."""
    entitled = _entitled(h, button.guard)
    own, others = await _bot_message(h, entitled), await _bot_message(h, OTHER)
    return [
        Press(f"forged {suffix!r}", user, message, button.prefix + suffix)
        for suffix in FORGED
        for user, message in ((entitled, own), (OTHER, others))
    ]


async def _answer(h: Harness, press: Press) -> str:
    """Press; the text the press was answered with (waits for the answer)."""
    world = h.sandbox.world
    query_id = world.press(press.user_id, press.message, press.data)

    def answered() -> dict[str, Any] | None:
        return next((a for a in world.callback_answers if a["callback_query_id"] == query_id), None)

    answer: dict[str, Any] = await h.wait(answered)
    return str(answer.get("text", ""))


async def _problems(h: Harness, button: Button, press: Press, refusal: str | None) -> list[str]:
    """What went wrong with ``press``: a wrong answer, a message, an edit, a changed row."""
    world = h.sandbox.world
    before, sent, edits = await dump(h), len(world.messages), [m.edits for m in world.messages]
    text = await _answer(h, press)
    await h.idle()
    name, problems = f"{button.prefix} {press.name} ({press.data!r})", []
    if refusal is not None and text != refusal:
        problems.append(f"{name}: answered {text!r}, not the guard's refusal")
    problems += [f"{name}: sent {m.text!r}" for m in world.messages[sent:]]
    if [m.edits for m in world.messages[: len(edits)]] != edits:
        problems.append(f"{name}: edited a message")
    after = await dump(h)
    return problems + [f"{name}: table {t} changed" for t in before if before[t] != after[t]]


async def test_every_button_refuses_whoever_its_guard_does_not_admit(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """Every declared button × (an ordinary user, another user, a wrong chat): answered with
    its guard's refusal, nothing sent or edited, no row changed."""
    h = await _start(harness_factory, tmp_path)
    buttons = list(h.services.buttons)
    assert {b.prefix for b in buttons} >= {"tz:", "lang:set:", "mission:", "notif:", "mod:"}
    problems: list[str] = []
    for button in buttons:
        if button.guard.anyone:
            continue
        for press in await _refused_presses(h, button):
            problems += await _problems(h, button, press, button.guard.refusal)
    assert problems == []


async def test_every_button_answers_forged_data_and_changes_nothing(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """Every declared button × forged, stale or truncated data, pressed by the one entitled
    and by another user: answered, nothing sent or edited, no row changed."""
    h = await _start(harness_factory, tmp_path)
    problems: list[str] = []
    for button in h.services.buttons:
        for press in await _forged_presses(h, button):
            problems += await _problems(h, button, press, None)
    assert problems == []


async def test_the_entitled_press_reaches_the_button(
    harness_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """The control: each button pressed by the one its guard admits, where it admits them,
    is not refused by the guard (its callback answers)."""
    h = await _start(harness_factory, tmp_path)
    for button in h.services.buttons:
        entitled = _entitled(h, button.guard)
        press = Press("entitled", entitled, await _bot_message(h, entitled), button.prefix)
        assert await _answer(h, press) != button.guard.refusal, button.prefix
