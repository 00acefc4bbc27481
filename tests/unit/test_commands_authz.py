"""Which updates a command's handlers match: new messages only, admin commands in private."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update
from telegram.ext import ApplicationBuilder

from bot.core.telegram.commands import Command, CommandCatalog

ADMIN, GROUP, CHANNEL = 1, -100_200, -100_300


class _NamedBot(Bot):
    """A bot that knows its name without asking the Bot API (``getMe``)."""

    @property
    def username(self) -> str:
        return "companion_bot"


BOT = _NamedBot("123:unit-test")


async def _noop(_update: Update, _context: Any) -> None:
    return None


def _message(text: str, *, chat: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": 7,
        "date": 0,
        "chat": chat or {"id": ADMIN, "type": "private"},
        "from": {"id": ADMIN, "is_bot": False, "first_name": "A"},
        **extra,
    }
    key = "caption" if "photo" in extra else "text"
    body[key] = text
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    body["caption_entities" if key == "caption" else "entities"] = entities
    return body


PHOTO = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
ORIGIN = {"type": "user", "date": 0, "sender_user": {"id": 9, "is_bot": False, "first_name": "F"}}
GROUP_CHAT = {"id": GROUP, "type": "supergroup", "title": "G"}
CHANNEL_CHAT = {"id": CHANNEL, "type": "channel", "title": "C"}


def _updates(text: str, **extra: Any) -> dict[str, dict[str, Any]]:
    """The same command as each kind of update a bot can receive."""
    return {
        "new in private": {"message": _message(text, **extra)},
        "edited": {"edited_message": {**_message(text, **extra), "edit_date": 1}},
        "forwarded": {"message": _message(text, forward_origin=ORIGIN, **extra)},
        "channel post": {"channel_post": _message(text, chat=CHANNEL_CHAT, **extra)},
        "edited channel post": {
            "edited_channel_post": {**_message(text, chat=CHANNEL_CHAT, **extra), "edit_date": 1}
        },
        "in a group": {"message": _message(text, chat=GROUP_CHAT, **extra)},
    }


def _matches(command: Command, update: dict[str, Any]) -> bool:
    parsed = Update.de_json({"update_id": 1, **update}, BOT)
    return any(handler.check_update(parsed) for handler in command.handlers())


@pytest.mark.parametrize("photo", [False, True], ids=["text", "photo caption"])
def test_admin_command_matches_only_a_new_private_message(photo: bool) -> None:
    """An admin command (text, or a photo's caption) matches a new message in private only."""
    post = Command("post", "schedule", admin=True, callback=_noop, caption=True)
    extra = {"photo": PHOTO} if photo else {}
    matched = {kind for kind, u in _updates("/post now hi", **extra).items() if _matches(post, u)}
    assert matched == {"new in private"}


def test_user_command_matches_new_messages_in_any_chat() -> None:
    """A user command works in groups too, but never on an edit, a forward or a channel post."""
    mission = Command("mission", "today's mission", callback=_noop)
    matched = {kind for kind, u in _updates("/mission").items() if _matches(mission, u)}
    assert matched == {"new in private", "in a group"}


def test_catalog_builds_the_handlers_and_refuses_duplicates() -> None:
    """``register`` declares a command and adds its handlers; a second declaration fails."""
    catalog, app = CommandCatalog(), ApplicationBuilder().token("123:unit-test").build()
    catalog.register(app, Command("post", "p", admin=True, callback=_noop, caption=True))
    assert len(app.handlers[0]) == 2 and catalog.known("POST")
    with pytest.raises(ValueError, match="declared twice"):
        catalog.register(app, Command("post", "again", callback=_noop))
