"""Rows the tests start from: users, subscriptions, outbox messages, job runs."""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import datetime, timedelta
from types import EllipsisType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.delivery import Outbox, Priority
from bot.core.jobs.models import JobRun
from bot.core.kernel.db import Database
from bot.core.people import users
from bot.modules.subscriptions import service as subscriptions
from bot.modules.subscriptions.models import Subscription
from bot.sandbox import World

# Users


async def register_user(
    session: AsyncSession,
    user_id: int,
    *,
    now: datetime,
    first_name: str = "U",
    language_code: str | None = None,
    payload: str | None = None,
) -> tuple[users.User, bool]:
    """``users.register`` as a first /start does it (no username); the user, and whether new."""
    return await users.register(
        session,
        user_id=user_id,
        first_name=first_name,
        username=None,
        language_code=language_code,
        payload=payload,
        now=now,
    )


async def register_users(
    services: Services,
    user_ids: Iterable[int],
    *,
    world: World | None = None,
    unreachable: Container[int] = (),
) -> None:
    """Register ``user_ids`` at the services' clock's now, in one transaction; with ``world``,
    each has opened a chat with the bot in the sandbox; those in ``unreachable`` are marked
    as having blocked it."""
    async with services.db.session() as session:
        for user_id in user_ids:
            if world is not None:
                world.user(user_id)
            await register_user(session, user_id, now=services.clock.now())
            if user_id in unreachable:
                await users.set_reachable(session, user_id, False, "blocked")


# Subscriptions


async def grant(
    db: Database, user_id: int, duration: timedelta, now: datetime
) -> subscriptions.Grant:
    """``duration`` of VIP for ``user_id`` as /grant gives it (from ``now``, or from the end
    of an active subscription), in a transaction of its own."""
    async with db.session() as session:
        return await subscriptions.grant(session, user_id, duration, now)


async def subscription_of(db: Database, user_id: int) -> Subscription | None:
    async with db.session() as session:
        return await subscriptions.get(session, user_id)


# Outbox rows


async def add_message(
    session: AsyncSession,
    outbox: Outbox,
    key: str,
    chat_id: int,
    *,
    text: str = "hi",
    category: str = "announcement",
    priority: int = Priority.BROADCAST,
    user_id: int | EllipsisType | None = ...,
    **extra: Any,
) -> bool:
    """Queue one message through ``outbox`` (its policy decides as for any row): a
    broadcast by default; its user is the chat's when the chat is private, unless
    ``user_id`` is given (None: no user). False when the key exists or the user's
    preferences mute it."""
    return await outbox.enqueue(
        session,
        key=key,
        chat_id=chat_id,
        user_id=(chat_id if chat_id > 0 else None) if user_id is ... else user_id,
        category=category,
        priority=priority,
        text=text,
        **extra,
    )


async def queue_message(services: Services, key: str, chat_id: int, **values: Any) -> bool:
    """:func:`add_message` through the services' outbox, in a transaction of its own."""
    async with services.db.session() as session:
        return await add_message(session, services.outbox, key, chat_id, **values)


# Job runs


def job_run(
    job: str, at: datetime, *, status: str = "succeeded", attempts: int = 1, **values: Any
) -> JobRun:
    """A ``job_runs`` row of a scheduled slot at ``at`` that started then; finished then too
    unless it is still running."""
    values.setdefault("finished_at", None if status == "running" else at)
    return JobRun(
        job=job,
        scheduled_for=at,
        trigger="scheduled",
        status=status,
        attempts=attempts,
        started_at=at,
        **values,
    )
