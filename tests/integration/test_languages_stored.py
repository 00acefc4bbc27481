"""The stored language choice and Telegram's language_code, in the database."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.kernel.cache import MemoryCache
from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings
from bot.core.people.reading import (
    language_of,
    on_record,
    reading_language,
    record_language_code,
    store_choice,
)
from bot.core.people.users import User
from tests.helpers.clocks import NOON
from tests.helpers.factories import register_user
from tests.helpers.owned import own_db


async def _register(db: Database, user_id: int, code: str | None) -> None:
    async with db.session() as session:
        await register_user(session, user_id, now=NOON, language_code=code)


async def test_a_changed_app_language_reaches_bulk_messages(migrated: Settings) -> None:
    """A user registered in English whose app now says uk-UA is answered in Ukrainian, and
    the database learns it, so the next bulk message (rendered from SQL) is Ukrainian too."""
    db = own_db(Database(migrated.database_url))
    await _register(db, 10, "en")
    async with db.session() as session:
        assert await language_of(session, 10) == "en"
    cache = MemoryCache()
    assert await reading_language(db, cache, 10, "uk-UA") == "uk"
    async with db.session() as session:
        assert await language_of(session, 10) == "en"  # the read wrote nothing
    record = await on_record(db, cache, 10)
    assert record is not None and record.outdated_by("uk-UA")
    await record_language_code(db, cache, 10, "uk-UA")
    assert not (await on_record(db, cache, 10) or record).outdated_by("uk-UA")
    async with db.session() as session:
        assert await language_of(session, 10) == "uk"


async def test_a_choice_is_stored_only_for_a_known_user_and_a_known_language(
    migrated: Settings,
) -> None:
    """/language stores an available language for a registered user; an unknown language
    or a user who never started the bot changes nothing."""
    db, cache = own_db(Database(migrated.database_url)), MemoryCache()
    await _register(db, 11, "uk")
    async with db.session() as session:
        assert await store_choice(session, cache, 11, "en") is True
        assert await store_choice(session, cache, 11, "xx") is False
        assert await store_choice(session, cache, 12, "uk") is False
    async with db.session() as session:
        stored = dict((await session.execute(select(User.id, User.language))).all())
        assert stored == {11: "en"} and await language_of(session, 11) == "en"
    assert await reading_language(db, cache, 11, "uk") == "en"  # the choice beats the app
