"""Reachability at a past instant: the users reachable now, each user changed since then
counted as they were before their first change since."""

from __future__ import annotations

from datetime import timedelta

from bot.core.kernel.db import Database
from bot.core.people import users
from bot.modules.analytics.models import ReachabilityChange
from bot.modules.analytics.reachability import reachable_at
from tests.helpers.clocks import NOON
from tests.helpers.factories import register_user

HOUR = timedelta(hours=1)


async def test_changes_after_the_instant_are_undone_and_those_before_kept(db: Database) -> None:
    """At NOON: 1 reachable throughout; 2 blocked before NOON; 3 blocked, unblocked and
    blocked again after NOON (reachable at NOON); 4 registered after NOON (not counted);
    5 blocked before and unblocked after NOON (unreachable at NOON)."""
    async with db.session() as session:
        for user_id in (1, 2, 3, 5):
            await register_user(session, user_id, now=NOON - 2 * HOUR)
        await register_user(session, 4, now=NOON + HOUR)
    flips = [
        (2, NOON - HOUR, False),
        (5, NOON - HOUR, False),
        (3, NOON + HOUR, False),
        (3, NOON + 2 * HOUR, True),
        (3, NOON + 3 * HOUR, False),
        (5, NOON + HOUR, True),
    ]
    async with db.session() as session:
        for user_id, at, reachable in flips:
            await users.set_reachable(session, user_id, reachable, "blocked")
            session.add(ReachabilityChange(user_id=user_id, at=at, reachable=reachable))
    async with db.session() as session:
        assert await users.count_users(session, reachable_only=True) == 3  # 1, 4 and 5
        assert await reachable_at(session, NOON) == 2  # 1 and 3
        assert await reachable_at(session, NOON - 3 * HOUR) == 0  # nobody had registered
        assert await reachable_at(session, NOON + 4 * HOUR) == 3  # as now
