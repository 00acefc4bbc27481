"""Properties of the end-time arithmetic done in SQL and of reading a charge's payload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, literal, select, type_coerce
from sqlalchemy.orm import Session

from bot.core.kernel.db import UTCDateTime
from bot.modules.subscriptions import service
from bot.modules.subscriptions.charges import Charge, days_bought

TEN_YEARS = 3650 * 86400
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    """A real SQLite connection (the same SQL the bot runs through aiosqlite)."""
    engine = create_engine("sqlite://")
    with Session(engine) as session:
        yield session
    engine.dispose()


@settings(max_examples=300, deadline=None)
@given(moment=moments, seconds=st.integers(-TEN_YEARS, TEN_YEARS))
def test_sql_shift_is_exact(session: Session, moment: datetime, seconds: int) -> None:
    """Moving a stored end by whole seconds in SQL equals Python's datetime arithmetic,
    to the microsecond, across month ends, leap days and decades."""
    stored = literal(moment, UTCDateTime)
    moved = service.shifted(session, stored, seconds)  # type: ignore[arg-type]
    result = session.scalar(select(type_coerce(moved, UTCDateTime)))
    assert result == moment + timedelta(seconds=seconds)


@given(payload=st.text(max_size=80))
def test_reading_any_payload_never_fails(payload: str) -> None:
    """Whatever payload a charge carries, the days it bought are a number >= 0."""
    days = days_bought(Charge("c", 1, 1, "XTR", payload))
    assert isinstance(days, int) and days >= 0


@given(user=st.integers(1, 10**12), days=st.integers(1, 3650), stars=st.integers(1, 10**5))
def test_a_valid_payload_buys_its_days(user: int, days: int, stars: int) -> None:
    """A payload made by /subscribe buys exactly the days it names."""
    assert days_bought(Charge("c", user, stars, "XTR", f"vip:{user}:{days}:{stars}")) == days
