"""Choosing the language: stored choice, Telegram's code with region fallback, default;
the SQL form used by bulk statements agrees with the Python form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, insert, select
from sqlalchemy.orm import Session

from bot.core.people import i18n
from bot.core.people.reading import language_column
from bot.core.people.users import User

# Telegram's language codes are IETF tags (ASCII); mix in near misses and our own codes.
codes = st.one_of(
    st.none(),
    st.sampled_from(["uk", "uk-UA", "UK_ua", "uk-", "en", "en-GB", "ukr", "u", "pt-br", "de"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzUK-_%", max_size=8),
)
_NOW = datetime(2026, 12, 1, tzinfo=UTC)
stored = st.one_of(st.none(), st.sampled_from(["uk", "en", "de", "UK", ""]))


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    """A real SQLite database with the users table (the SQL the bot runs via aiosqlite)."""
    engine = create_engine("sqlite://")
    User.__table__.create(engine)  # type: ignore[attr-defined]
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_region_falls_back_to_the_language() -> None:
    """``uk-UA`` and ``uk_UA`` read Ukrainian; an unknown code reads the default."""
    assert i18n.from_telegram("uk-UA") == i18n.from_telegram("uk_UA") == "uk"
    assert i18n.from_telegram("de-AT") is None and i18n.from_telegram(None) is None
    assert i18n.choose(None, "de") == i18n.default_language() == "en"


def test_a_stored_choice_wins_over_telegram() -> None:
    """/language's choice beats the app's language; a choice no longer available does not."""
    assert i18n.choose("en", "uk-UA") == "en"
    assert i18n.choose("xx", "uk") == "uk"


@settings(max_examples=200, deadline=None)
@given(choice=stored, code=codes)
def test_sql_and_python_choose_the_same_language(
    session: Session, choice: str | None, code: str | None
) -> None:
    """For any stored choice and language_code, the bulk statements' SQL picks what the
    per-update rule picks (else someone's broadcast would come in another language)."""
    session.execute(delete(User))
    session.execute(
        insert(User).values(
            id=1,
            first_name="U",
            language_code=code,
            language=choice,
            reachable=True,
            created_at=_NOW,
            last_seen_at=_NOW,
        )
    )
    assert session.scalar(select(language_column())) == i18n.choose(choice, code)
