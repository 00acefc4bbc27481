"""Helpers of the operations tests: services on a migrated database, a context to call jobs with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from bot.app import build_application
from bot.core.context import Services
from bot.core.delivery import OutboxMessage, Priority
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.settings import Settings
from tests.jobkit import manual_context
from tests.owned import own

START = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def build(settings: Settings, start: datetime = START) -> tuple[Services, ManualClock, Any]:
    """Services (every module registered) on a manual clock, and the unstarted bot; the
    database is disposed after the test."""
    clock = ManualClock(start)
    app = build_application(settings, clock=clock)
    return own(app.services), clock, app.bot


job_context = manual_context  # the one builder, in tests/jobkit.py


async def queue(services: Services, key: str, chat_id: int = 1, **extra: Any) -> None:
    async with services.db.session() as session:
        await services.outbox.enqueue(
            session,
            key=key,
            chat_id=chat_id,
            category="notification",
            priority=Priority.NOTIFICATION,
            text=key,
            **extra,
        )


async def set_status(services: Services, key: str, status: str, **values: Any) -> None:
    async with services.db.session() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.key == key).values(status=status, **values)
        )


async def outbox_rows(services: Services) -> list[OutboxMessage]:
    async with services.db.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
