"""Subscription end times change in one statement, so concurrent changes all count."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.kernel.db import Database
from bot.modules.subscriptions import service

NOW = datetime(2026, 11, 21, 9, 0, 0, 123456, tzinfo=UTC)
USER = 777


async def _grant(db: Database, duration: timedelta, now: datetime = NOW) -> service.Grant:
    async with db.session() as session:
        return await service.grant(session, USER, duration, now)


async def _shorten(db: Database, duration: timedelta) -> datetime | None:
    async with db.session() as session:
        return await service.shorten(session, USER, duration, NOW)


async def _ends_at(db: Database) -> datetime:
    async with db.session() as session:
        sub = await service.get(session, USER)
    assert sub is not None
    return sub.ends_at


async def test_concurrent_extensions_all_count(db: Database) -> None:
    """Thirty grants of one day each, run at once on an active subscription, add 30 days."""
    await _grant(db, timedelta(days=1))
    results = await asyncio.gather(*(_grant(db, timedelta(days=1)) for _ in range(30)))
    assert await _ends_at(db) == NOW + timedelta(days=31)
    assert all(r.extended for r in results)
    assert sorted(r.ends_at for r in results) == [
        NOW + timedelta(days=2 + n) for n in range(30)
    ]  # every grant saw its own, distinct new end


async def test_concurrent_first_grants_make_one_subscription(db: Database) -> None:
    """Grants racing to create a user's first subscription neither fail nor lose time."""
    results = await asyncio.gather(*(_grant(db, timedelta(hours=1)) for _ in range(12)))
    assert await _ends_at(db) == NOW + timedelta(hours=12)
    assert sum(not r.extended for r in results) == 1


async def test_grants_and_refunds_at_once_both_count(db: Database) -> None:
    """Ten extensions and five shortenings at once leave exactly the net difference."""
    await _grant(db, timedelta(days=30))
    work = [_grant(db, timedelta(days=2)) for _ in range(10)]
    work += [_shorten(db, timedelta(days=1)) for _ in range(5)]
    await asyncio.gather(*work)
    assert await _ends_at(db) == NOW + timedelta(days=30 + 20 - 5)


async def test_end_times_keep_their_microseconds(db: Database) -> None:
    """Moving an end in SQL keeps the stored sub-second part exactly (no rounding to ms)."""
    await _grant(db, timedelta(seconds=90))
    grant = await _grant(db, timedelta(days=3650))
    assert grant.ends_at == NOW + timedelta(days=3650, seconds=90)
    assert await _shorten(db, timedelta(days=3650)) == NOW + timedelta(seconds=90)


async def test_an_ended_subscription_restarts_from_now(db: Database) -> None:
    """A grant after the end passed starts from now, not from the old end."""
    await _grant(db, timedelta(hours=1))
    later = NOW + timedelta(days=2)
    grant = await _grant(db, timedelta(hours=5), now=later)
    assert not grant.extended and grant.ends_at == later + timedelta(hours=5)
