"""A promo code's uses and a user's trial are claimed in one statement each, so requests
at the same moment never use a code beyond its limit nor take a trial twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings
from bot.modules.subscriptions import codes
from bot.modules.subscriptions.codes_models import VipCode, VipRedemption, VipTrial

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


async def _claim(db: Database, code: str, user_id: int) -> int | codes.Refusal:
    """One use taken in a transaction of its own, as a redemption takes it inside its grant's
    (a unique redemption per code and user: the second of a pair at once is ALREADY)."""
    try:
        async with db.session() as session:
            return await codes.take_use(session, code, user_id, NOW)
    except codes.Refused as refused:
        return refused.reason
    except IntegrityError:
        return codes.Refusal.ALREADY


async def _uses_left(db: Database, code: str) -> int | None:
    async with db.session() as session:
        return await session.scalar(select(VipCode.uses_left).where(VipCode.code == code))


async def _count(db: Database, model: type[VipRedemption] | type[VipTrial]) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_two_simultaneous_redemptions_of_a_one_use_code_claim_once(
    db: Database, migrated: Settings
) -> None:
    """Two users redeeming a one-use code at once, over two connection pools: one wins."""
    assert await codes.add_code(db, "ONCE", 3600, 1, None, by=1, now=NOW)
    other = Database(migrated.database_url)
    try:
        results = await asyncio.gather(_claim(db, "ONCE", 11), _claim(other, "ONCE", 12))
    finally:
        await other.dispose()
    assert sorted(map(str, results)) == sorted(["3600", str(codes.Refusal.USED_UP)])
    assert await _uses_left(db, "ONCE") == 0
    assert await _count(db, VipRedemption) == 1


async def test_many_at_once_never_exceed_the_limit(db: Database) -> None:
    """Twenty users racing for a three-use code: exactly three claims, none below zero."""
    assert await codes.add_code(db, "THREE", 60, 3, None, by=1, now=NOW)
    results = await asyncio.gather(*(_claim(db, "THREE", 100 + n) for n in range(20)))
    assert sum(r == 60 for r in results) == 3
    assert all(r in (60, codes.Refusal.USED_UP) for r in results)
    assert await _uses_left(db, "THREE") == 0 and await _count(db, VipRedemption) == 3


async def test_one_user_twice_at_once_redeems_once(db: Database) -> None:
    """The same user redeeming a many-use code twice at once uses one use."""
    assert await codes.add_code(db, "MANY", 60, 10, None, by=1, now=NOW)
    results = await asyncio.gather(_claim(db, "MANY", 7), _claim(db, "MANY", 7))
    assert sorted(map(str, results)) == sorted(["60", str(codes.Refusal.ALREADY)])
    assert await _uses_left(db, "MANY") == 9


async def test_expired_and_unknown_codes_change_nothing(db: Database) -> None:
    """An expired code and an unknown one are refused, with no use taken and no record."""
    assert await codes.add_code(db, "OLD", 60, 5, NOW - timedelta(seconds=1), by=1, now=NOW)
    assert await _claim(db, "OLD", 5) == codes.Refusal.EXPIRED
    assert await _claim(db, "NOPE", 5) == codes.Refusal.UNKNOWN
    assert await _uses_left(db, "OLD") == 5 and await _count(db, VipRedemption) == 0


async def test_two_trials_at_once_are_one_trial(db: Database, migrated: Settings) -> None:
    """A user's two trial claims at the same moment, over two pools: one is recorded."""
    other = Database(migrated.database_url)

    async def claim(on: Database) -> bool:  # as take_trial records it, in the grant's transaction
        try:
            async with on.session() as session:
                session.add(VipTrial(user_id=9, days=7, taken_at=NOW))
        except IntegrityError:
            return False
        return True

    try:
        results = await asyncio.gather(claim(db), claim(other))
    finally:
        await other.dispose()
    assert sorted(results) == [False, True]
    assert await _count(db, VipTrial) == 1
