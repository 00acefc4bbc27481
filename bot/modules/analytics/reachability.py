"""Reachability history: who could be reached at a past instant.

``users.reachable`` says only who can be reached now. Each change of it (a block, an
unblock, an account gone) is recorded here with its time, after the change's commit, so
a past day's report counts that day's reachable users: those reachable now, with each user
changed since the day's end counted as they were before their first change since. The
changes since a day's end are few (blocks are rare), so the count is one ``COUNT`` and
one small read. A change lost to a crash between its commit and its record leaves that
user counted as they are now: what every count did before this history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.kernel import UserBecameReachable, UserBecameUnreachable
from bot.core.people import User, count_users
from bot.modules.analytics.models import ReachabilityChange


async def reachable_at(session: AsyncSession, at: datetime) -> int:
    """Users registered before ``at`` who could be reached at ``at``."""
    now_count = await count_users(session, reachable_only=True, before=at)
    since = await session.execute(
        select(ReachabilityChange.user_id, ReachabilityChange.reachable, User.reachable)
        .join(User, User.id == ReachabilityChange.user_id)
        .where(ReachabilityChange.at >= at, User.created_at < at)
        .order_by(ReachabilityChange.at, ReachabilityChange.id)
    )
    first: dict[int, tuple[bool, bool]] = {}
    for user_id, changed_to, current in since.all():
        first.setdefault(user_id, (bool(changed_to), bool(current)))
    then = sum(not changed_to for changed_to, _current in first.values())
    now = sum(current for _changed_to, current in first.values())
    return now_count - now + then


class ReachabilityLog:
    """Records each change of a user's reachability (after its commit)."""

    __slots__ = ("services",)

    def __init__(self, services: Services) -> None:
        self.services = services

    async def unreachable(self, event: UserBecameUnreachable) -> None:
        await self._record(event.user_id, False)

    async def reachable(self, event: UserBecameReachable) -> None:
        await self._record(event.user_id, True)

    async def _record(self, user_id: int, reachable: bool) -> None:
        async with self.services.db.session() as session:
            at = self.services.clock.now()
            session.add(ReachabilityChange(user_id=user_id, at=at, reachable=reachable))
