"""Who counts as an admin or as staff, and where: ``Settings.is_admin``, a command's guard
(``Command.usable_by``, ``Command.guarded``) and a button's (``Guard.admits``, the catalogue's
press), each on its own. Replies go to the sandbox Bot API over loopback HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, CallbackQuery, Update

from bot.core.kernel.settings import Settings
from bot.core.telegram import ANYONE, OWNER, Button, ButtonCatalog, Command, Guard, admins, staff
from bot.core.telegram.buttons import NOT_YOURS, STALE
from bot.modules.moderation.settings import ModerationSettings
from bot.sandbox import SandboxServer
from tests.conftest import make_settings

ADMIN, SECOND_ADMIN, USER, MODERATOR = 1, 2, 3, 4
GROUP, ROOM = -100_200, -100_300  # a group; the moderators' group


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return make_settings(tmp_path, admin_ids=f"{ADMIN},{SECOND_ADMIN}", **values)


def _moderator(settings: Settings, user_id: int) -> bool:
    return user_id in settings.of(ModerationSettings).moderators


def _room(settings: Settings) -> tuple[int | None]:
    return (settings.of(ModerationSettings).moderation_chat_id,)


async def _noop(_update: Update, _context: Any) -> None:
    return None


# Settings.is_admin


def test_is_admin_is_exactly_the_admin_ids(tmp_path: Path) -> None:
    """The ids in ADMIN_IDS are admins; any other id, and no user (None), is not."""
    settings = _settings(tmp_path)
    assert settings.is_admin(ADMIN) and settings.is_admin(SECOND_ADMIN)
    assert not any(settings.is_admin(u) for u in (USER, MODERATOR, 0, -ADMIN, None))


def test_without_admin_ids_nobody_is_an_admin(tmp_path: Path) -> None:
    """With ADMIN_IDS empty no id is an admin, not even None."""
    settings = make_settings(tmp_path, admin_ids="")
    assert not any(settings.is_admin(u) for u in (ADMIN, USER, 0, None))


# Command.usable_by: what /help and the menu offer


def test_admin_command_is_usable_by_admins_only(tmp_path: Path) -> None:
    """An admin command is offered to ADMIN_IDS, never to another user or to anyone (None)."""
    settings, jobs = _settings(tmp_path), Command("jobs", "j", admin=True, callback=_noop)
    usable = {u for u in (ADMIN, SECOND_ADMIN, USER, MODERATOR) if jobs.usable_by(settings, u)}
    assert usable == {ADMIN, SECOND_ADMIN} and not jobs.usable_by(settings, None)


def test_staff_command_is_usable_by_its_staff_not_by_admin_ids(tmp_path: Path) -> None:
    """A command for staff (moderators) is offered to them: an admin who is not one of them
    is not offered it; with no MODERATOR_IDS the moderators are the admins."""
    queue = Command("modqueue", "q", admin=True, callback=_noop, staff=_moderator)
    named = _settings(tmp_path, moderator_ids=str(MODERATOR))
    assert [u for u in (ADMIN, USER, MODERATOR) if queue.usable_by(named, u)] == [MODERATOR]
    assert not queue.usable_by(named, None)
    default = _settings(tmp_path)
    assert [u for u in (ADMIN, USER, MODERATOR) if queue.usable_by(default, u)] == [ADMIN]


def test_user_command_is_usable_by_anyone_unless_unavailable(tmp_path: Path) -> None:
    """A user command is for everyone; one the configuration makes useless is for nobody."""
    settings = _settings(tmp_path)
    mission = Command("mission", "m", callback=_noop)
    closed = Command("subscribe", "s", callback=_noop, available=lambda _s: False)
    assert all(mission.usable_by(settings, u) for u in (ADMIN, USER, None))
    assert not any(closed.usable_by(settings, u) for u in (ADMIN, USER, None))
    with pytest.raises(ValueError, match="admin=True"):
        Command("x", "x", callback=_noop, staff=_moderator)


# Command.guarded: the guard a command's callback runs behind


@dataclass
class _Services:
    settings: Settings


@dataclass
class _Context:
    """What a guard reads of PTB's context: the services' settings."""

    services: _Services


@dataclass
class _Recorder:
    calls: list[int]

    async def __call__(self, update: Update, _context: Any) -> None:
        assert update.effective_user is not None
        self.calls.append(update.effective_user.id)


def _command_update(bot: Bot, user_id: int, chat: dict[str, Any], **extra: Any) -> Update:
    message = {
        "message_id": 10,
        "date": 0,
        "chat": chat,
        "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"},
        "text": "/jobs",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        **extra,
    }
    return Update.de_json({"update_id": 1, "message": message}, bot)


def _private(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": f"U{user_id}"}


@pytest.fixture
async def bot(sandbox: SandboxServer) -> Any:
    for user_id in (ADMIN, USER, MODERATOR):
        sandbox.world.user(user_id)
    async with Bot("123:unit-test", base_url=sandbox.base_url) as bot:
        yield bot


async def test_command_guard_runs_admins_in_private_and_refuses_the_rest(
    tmp_path: Path, sandbox: SandboxServer, bot: Bot
) -> None:
    """The callback runs for an admin's new message in private; a non-admin in private gets
    the refusal and the callback does not run; in a group, forwarded, or from a user
    Telegram does not name, it does not run and nothing is said."""
    ran = _Recorder([])
    guarded = Command("jobs", "j", admin=True, callback=ran).guarded()
    context = _Context(_Services(_settings(tmp_path)))
    group = {"id": GROUP, "type": "supergroup", "title": "G"}
    origin = {"type": "hidden_user", "date": 0, "sender_user_name": "F"}
    await guarded(_command_update(bot, ADMIN, _private(ADMIN)), context)
    assert ran.calls == [ADMIN] and sandbox.world.to(ADMIN) == []
    await guarded(_command_update(bot, USER, _private(USER)), context)
    [refusal] = sandbox.world.to(USER)
    assert "for the bot's admins only" in (refusal.text or "")
    await guarded(_command_update(bot, ADMIN, group), context)
    await guarded(_command_update(bot, ADMIN, _private(ADMIN), forward_origin=origin), context)
    assert ran.calls == [ADMIN] and sandbox.world.to(ADMIN) == []


async def test_staff_command_guard_admits_its_staff_and_refuses_an_admin(
    tmp_path: Path, sandbox: SandboxServer, bot: Bot
) -> None:
    """A staff command runs for a moderator in private; an admin who is not a moderator is
    told the staff refusal, and the callback does not run for them."""
    ran = _Recorder([])
    command = Command(
        "modqueue", "q", admin=True, callback=ran, staff=_moderator, refusal="Moderators only."
    )
    context = _Context(_Services(_settings(tmp_path, moderator_ids=str(MODERATOR))))
    await command.guarded()(_command_update(bot, MODERATOR, _private(MODERATOR)), context)
    await command.guarded()(_command_update(bot, ADMIN, _private(ADMIN)), context)
    assert ran.calls == [MODERATOR]
    assert [m.text for m in sandbox.world.to(ADMIN)] == ["Moderators only."]


# Guard.admits and the button catalogue


def _query(bot: Bot, presser: int, chat: dict[str, Any] | None, **message: Any) -> CallbackQuery:
    body: dict[str, Any] = {
        "id": "q1",
        "from": {"id": presser, "is_bot": False, "first_name": f"U{presser}"},
        "chat_instance": "ci",
        "data": "t:1",
    }
    if chat is not None:  # None: a message sent in inline mode (no chat known)
        body["message"] = {"message_id": 5, "date": 0, "chat": chat, "text": "t", **message}
    query = CallbackQuery.de_json(body, bot)
    assert query is not None
    return query


def _group(chat_id: int = GROUP) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": "G"}


def _reply_to(user_id: int) -> dict[str, Any]:
    author = {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"}
    return {"message_id": 4, "date": 0, "chat": _group(), "from": author, "text": "/mission"}


def _admitted(settings: Settings, bot: Bot, guard: Guard) -> dict[str, bool]:
    """Whether ``guard`` admits each kind of press."""
    cases = {
        "admin in private": _query(bot, ADMIN, _private(ADMIN)),
        "admin in a group": _query(bot, ADMIN, _group()),
        "admin in the room": _query(bot, ADMIN, _group(ROOM)),
        "moderator in private": _query(bot, MODERATOR, _private(MODERATOR)),
        "moderator in the room": _query(bot, MODERATOR, _group(ROOM)),
        "moderator in a group": _query(bot, MODERATOR, _group()),
        "user in private": _query(bot, USER, _private(USER)),
        "user in the room": _query(bot, USER, _group(ROOM)),
        "user under another's message": _query(bot, USER, _private(ADMIN)),
        "user answered in a group": _query(bot, USER, _group(), reply_to_message=_reply_to(USER)),
        "user under an answer to another": _query(
            bot, USER, _group(), reply_to_message=_reply_to(ADMIN)
        ),
        "admin, inline message": _query(bot, ADMIN, None),
    }
    return {name: guard.admits(settings, query) for name, query in cases.items()}


def _yes(admitted: dict[str, bool]) -> set[str]:
    return {name for name, ok in admitted.items() if ok}


def test_admins_guard_admits_admins_in_their_private_chat_only(tmp_path: Path) -> None:
    """admins(): an admin in private; not in a group (even the moderators'), not a user."""
    settings, bot = _settings(tmp_path, moderation_chat_id=ROOM), Bot("123:unit-test")
    assert _yes(_admitted(settings, bot, admins())) == {"admin in private"}


def test_staff_guard_admits_its_staff_in_private_and_in_their_rooms(tmp_path: Path) -> None:
    """staff(moderators, rooms=the moderators' group): a moderator in private or in that
    group; not in another group; an admin who is not a moderator nowhere; a user nowhere."""
    settings = _settings(tmp_path, moderator_ids=str(MODERATOR), moderation_chat_id=ROOM)
    guard, bot = staff(_moderator, rooms=_room), Bot("123:unit-test")
    assert _yes(_admitted(settings, bot, guard)) == {
        "moderator in private",
        "moderator in the room",
    }
    roomless = staff(_moderator)
    assert _yes(_admitted(settings, bot, roomless)) == {"moderator in private"}


def test_owner_guard_admits_the_user_the_message_was_for(tmp_path: Path) -> None:
    """OWNER: the presser in their own private chat, or in a group under the bot's answer to
    their own message; never under a message meant for someone else, admins included."""
    settings, bot = _settings(tmp_path), Bot("123:unit-test")
    assert _yes(_admitted(settings, bot, OWNER)) == {
        "admin in private",
        "moderator in private",
        "user in private",
        "user answered in a group",
    }


def test_anyone_guard_admits_every_press(tmp_path: Path) -> None:
    """ANYONE: every press, wherever it is (its callback checks the rest itself)."""
    settings, bot = _settings(tmp_path), Bot("123:unit-test")
    assert all(_admitted(settings, bot, ANYONE).values())


async def test_catalogue_refuses_a_press_its_guard_does_not_admit(
    tmp_path: Path, sandbox: SandboxServer, bot: Bot
) -> None:
    """The catalogue runs an admins() button's callback for an admin in private only: a user
    is answered "not valid for you" (an alert), data no button declares "no longer valid",
    and neither reaches a callback."""
    ran = _Recorder([])
    catalog = ButtonCatalog()
    catalog.add(Button("t:", ran, guard=admins()))
    context = _Context(_Services(_settings(tmp_path)))

    def press(presser: int, data: str = "t:1") -> Update:
        query = _query(bot, presser, _private(presser)).to_dict() | {"data": data}
        return Update.de_json({"update_id": 2, "callback_query": query}, bot)

    await catalog.press(press(ADMIN), context)
    await catalog.press(press(USER), context)
    await catalog.press(press(ADMIN, "x:1"), context)
    assert ran.calls == [ADMIN]
    answers = [(a.get("text"), a.get("show_alert")) for a in sandbox.world.callback_answers]
    assert answers == [(NOT_YOURS, True), (STALE, None)]
