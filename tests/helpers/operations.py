"""Steps of the operations tests: services on a migrated database and a manual clock, a
context to call jobs with, outbox rows in a given state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bot.app import build_application
from bot.core.context import Services
from bot.core.delivery import OutboxMessage, Priority
from bot.core.kernel.clock import ManualClock
from bot.core.kernel.settings import Settings
from tests.helpers.clocks import NOON
from tests.helpers.factories import queue_message
from tests.helpers.jobs import manual_context
from tests.helpers.owned import own


def build(settings: Settings, start: datetime = NOON) -> tuple[Services, ManualClock, Any]:
    """Services (every module registered) on a manual clock, and the unstarted bot; the
    database is disposed after the test."""
    clock = ManualClock(start)
    app = build_application(settings, clock=clock)
    return own(app.services), clock, app.bot


job_context = manual_context  # the one builder, in tests/helpers/jobs.py


async def queue(services: Services, key: str, chat_id: int = 1, **extra: Any) -> None:
    """A notification row ``key`` (its text is the key) to ``chat_id``, with no user."""
    await queue_message(
        services,
        key,
        chat_id,
        text=key,
        category="notification",
        priority=Priority.NOTIFICATION,
        user_id=None,
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
