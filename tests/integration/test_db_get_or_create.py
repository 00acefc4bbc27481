"""Rows that two updates or two processes may create at the same moment are created once,
without an error for the loser (INSERT ... ON CONFLICT), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.jobs import store
from bot.core.jobs.models import JobState
from bot.core.kernel.db import Database
from bot.core.kernel.settings import Settings
from bot.core.people import users
from bot.modules.notifications import service as notifications
from bot.modules.notifications.models import NotificationPrefs
from tests.helpers.clocks import NOON
from tests.helpers.factories import register_user

RACERS = 12


async def _race(db: Database, work: Callable[[AsyncSession], Awaitable[Any]]) -> list[Any]:
    """``work`` in RACERS sessions at once (each its own connection and transaction)."""

    async def one() -> Any:
        async with db.session() as session:
            return await work(session)

    return await asyncio.gather(*(one() for _ in range(RACERS)))


async def _count(db: Database, column: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count(column))) or 0)


async def test_one_user_registered_by_many_updates_at_once(migrated: Settings) -> None:
    """Concurrent first contacts of one user: one row, exactly one caller told 'new'."""
    db = Database(migrated.database_url)
    try:
        results = await _race(
            db,
            lambda s: register_user(s, 42, now=NOON),
        )
        assert sum(1 for _, new in results if new) == 1
        assert await _count(db, users.User.id) == 1
    finally:
        await db.dispose()


async def test_job_state_created_once_by_replicas_starting_together(migrated: Settings) -> None:
    """Replicas reading a job's state on a fresh database create one row and all succeed."""
    db = Database(migrated.database_url)
    try:
        rows = await _race(db, lambda s: store.ensure_state(s, "missions.send_daily"))
        assert all(row.job == "missions.send_daily" for row in rows)
        assert await _count(db, JobState.job) == 1
    finally:
        await db.dispose()


async def test_preferences_created_once_by_concurrent_toggles(migrated: Settings) -> None:
    """Two presses of a preference button at once both apply to the one row."""
    db = Database(migrated.database_url)
    try:
        await _race(db, lambda s: notifications.toggle(s, 7, "reminders"))
        assert await _count(db, NotificationPrefs.user_id) == 1
    finally:
        await db.dispose()
