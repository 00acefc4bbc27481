"""Registration in the database: idempotent, referral rules, reachability."""

from __future__ import annotations

from bot.core.kernel.db import Database
from bot.core.people import users
from tests.helpers.clocks import NOON
from tests.helpers.factories import register_user


async def _register(
    db: Database, user_id: int, payload: str | None = None
) -> tuple[users.User, bool]:
    async with db.session() as session:
        return await register_user(session, user_id, now=NOON, payload=payload)


async def test_register_is_idempotent(db: Database) -> None:
    """The second /start of a user creates nothing new."""
    assert (await _register(db, 10))[1] is True
    assert (await _register(db, 10))[1] is False
    async with db.session() as session:
        assert await users.count_users(session) == 1


async def test_referral_rules(db: Database) -> None:
    """An inviter is recorded, known yet or not (their own first /start may come at the
    same time, or later); two-user cycles are not."""
    await _register(db, 1)
    assert (await _register(db, 2, "ref_1"))[0].referrer_id == 1
    assert (await _register(db, 3, "ref_999"))[0].referrer_id == 999
    assert (await _register(db, 999, "ref_3"))[0].referrer_id is None  # a cycle
    await _register(db, 1, "ref_2")  # existing user: payload ignored
    async with db.session() as session:
        first = await session.get(users.User, 1)
        assert first is not None and first.referrer_id is None


async def test_reachability_changes_once(db: Database) -> None:
    """Marking unreachable twice reports a change only once."""
    await _register(db, 5)
    async with db.session() as session:
        assert await users.set_reachable(session, 5, False, "blocked") is True
        assert await users.set_reachable(session, 5, False, "blocked") is False
        assert await users.count_users(session, reachable_only=True) == 0
