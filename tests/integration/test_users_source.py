"""A user's source: the start link they first came through, recorded once at registration."""

from __future__ import annotations

from bot.core.kernel.db import Database
from bot.core.people import users
from tests.helpers.clocks import NOON
from tests.helpers.factories import register_user


async def _register(db: Database, user_id: int, payload: str | None) -> users.User:
    async with db.session() as session:
        return (await register_user(session, user_id, now=NOON, payload=payload))[0]


async def test_source_is_recorded_once_at_registration(db: Database) -> None:
    """A new user's start payload is their source, an invite's is ``ref``, a later /start
    with another payload changes nothing, and a payload outside Telegram's alphabet is none."""
    assert (await _register(db, 1, "src_x")).source == "src_x"
    assert (await _register(db, 2, "ref_1")).source == "ref"
    assert (await _register(db, 3, "bad payload!")).source is None
    assert (await _register(db, 1, "src_y")).source == "src_x"
    assert (await _register(db, 3, "src_y")).source is None
