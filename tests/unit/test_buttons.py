"""The button catalogue: which button a press's data belongs to, and who a guard admits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import CallbackQuery, Chat, Message, User

from bot.core.kernel.settings import Settings
from bot.core.telegram import ANYONE, OWNER, Button, ButtonCatalog, admins, staff

PREFIXES = ("tz:", "lang:set:", "mission:", "notif:", "mod:", "modw:")
ADMIN, USER, OTHER, ROOM = 1, 2, 3, -100_5
AT = datetime(2026, 1, 1, tzinfo=UTC)


async def _nothing(_update: Any, _context: Any) -> None:
    return None


def _catalogue() -> ButtonCatalog:
    catalogue = ButtonCatalog()
    for prefix in PREFIXES:
        catalogue.add(Button(prefix, _nothing, guard=OWNER))
    return catalogue


@given(st.text(max_size=80) | st.sampled_from(PREFIXES).map(lambda p: p + "1"))
def test_data_belongs_to_the_one_button_whose_prefix_it_starts_with(data: str) -> None:
    """Any data finds the button whose prefix it starts with, else none; never raises."""
    found = _catalogue().find(data)
    owners = [p for p in PREFIXES if data.startswith(p)]
    assert (found.prefix if found else None) == (owners[0] if owners else None)


def test_an_overlapping_or_empty_prefix_is_refused() -> None:
    """A prefix that is another's start (or starts with it) would make a press ambiguous."""
    catalogue = _catalogue()
    for prefix in ("mod:a", "mo", "tz:"):
        with pytest.raises(ValueError, match="overlaps"):
            catalogue.add(Button(prefix, _nothing, guard=OWNER))
    with pytest.raises(ValueError):
        Button("", _nothing, guard=OWNER)


def _query(presser: int, chat: Chat, replied_to: int | None = None) -> CallbackQuery:
    reply = None
    if replied_to is not None:
        author = User(replied_to, "Author", is_bot=False)
        reply = Message(1, AT, chat, from_user=author, text="/language")
    message = Message(2, AT, chat, reply_to_message=reply, text="Choose")
    return CallbackQuery("q", User(presser, "Presser", is_bot=False), "ci", message, data="x")


def test_owner_is_the_user_the_message_was_for() -> None:
    """The owner presses in their private chat, or in a group under the bot's answer to
    their own message; nobody else, and nowhere else."""
    settings = Settings(_env_file=None, admin_ids=str(ADMIN))
    private, group = Chat(USER, Chat.PRIVATE), Chat(-100_7, Chat.SUPERGROUP)
    assert OWNER.admits(settings, _query(USER, private))
    assert not OWNER.admits(settings, _query(OTHER, private))
    assert OWNER.admits(settings, _query(USER, group, replied_to=USER))
    assert not OWNER.admits(settings, _query(OTHER, group, replied_to=USER))
    assert not OWNER.admits(settings, _query(USER, group))
    assert ANYONE.admits(settings, _query(OTHER, group))


def test_staff_press_in_their_private_chat_or_their_rooms() -> None:
    """Admins in their private chat only; staff also in their rooms; nobody else anywhere."""
    settings = Settings(_env_file=None, admin_ids=str(ADMIN))
    moderators = staff(lambda s, uid: uid in (ADMIN, OTHER), rooms=lambda s: (ROOM,))
    room, group = Chat(ROOM, Chat.SUPERGROUP), Chat(-100_7, Chat.SUPERGROUP)
    assert admins().admits(settings, _query(ADMIN, Chat(ADMIN, Chat.PRIVATE)))
    assert not admins().admits(settings, _query(ADMIN, room))
    assert not admins().admits(settings, _query(USER, Chat(USER, Chat.PRIVATE)))
    assert moderators.admits(settings, _query(OTHER, room))
    assert moderators.admits(settings, _query(OTHER, Chat(OTHER, Chat.PRIVATE)))
    assert not moderators.admits(settings, _query(OTHER, group))
    assert not moderators.admits(settings, _query(USER, room))
