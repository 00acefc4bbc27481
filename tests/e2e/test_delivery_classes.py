"""Delivery classes: transactional messages go at once, optional ones obey preferences."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.core.delivery import (
    OPTIONAL,
    TRANSACTIONAL,
    Category,
    OutboxMessage,
    OutboxStatus,
    Priority,
)
from bot.core.kernel.clock import ManualClock
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.chat import answer
from tests.helpers.factories import queue_message

LATE = datetime(2026, 11, 21, 23, 54, tzinfo=UTC)  # TIMEZONE=UTC: inside 22-08
MORNING = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
USER = 5151


async def quiet_user(factory: Callable[..., Any]) -> Harness:
    """A bot at 23:54 whose user set quiet hours 22-08 and turned every toggle off."""
    h: Harness = await factory(clock=ManualClock(LATE), **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    await h.reply(USER, "/start")
    await answer(h, USER, "/quiet 22-08", "Quiet hours set")
    return h


async def due_at(h: Harness, category: Category) -> datetime | None:
    """Queue one message of ``category`` to the user; when it is due (None: muted). A row the
    sender already took (it claims due rows only, moving ``next_attempt_at`` to its lease) was
    due when it was queued."""
    key = f"class:{category}"
    queued_at = h.services.clock.now()
    text, priority = f"a {category} message", Priority.NOTIFICATION
    if not await queue_message(
        h.services, key, USER, text=text, category=category, priority=priority
    ):
        return None
    async with h.services.db.session() as session:
        o = OutboxMessage
        query = select(o.next_attempt_at, o.claimed_by, o.status).where(o.key == key)
        due, taken_by, status = (await session.execute(query)).one()
    return queued_at if taken_by is not None or status != OutboxStatus.PENDING else due


def test_every_category_has_one_class() -> None:
    """Each category is either transactional or optional, never both or neither."""
    assert set(Category) == OPTIONAL | TRANSACTIONAL
    assert not OPTIONAL & TRANSACTIONAL
    assert {Category.MISSION, Category.REMINDER, Category.ANNOUNCEMENT} == OPTIONAL


async def test_grant_link_arrives_during_quiet_hours(harness_factory: Callable[..., Any]) -> None:
    """/quiet 22-08, then /grant 1h at 23:54: the invite link reaches the user at once."""
    h = await quiet_user(harness_factory)
    await answer(h, ADMIN, f"/grant {USER} 1h", "Granted")
    await h.wait(lambda: any("t.me/" in (m.text or "") for m in h.sandbox.world.to(USER)))


@pytest.mark.parametrize("category", sorted(TRANSACTIONAL))
async def test_transactional_goes_at_once(
    harness_factory: Callable[..., Any], category: Category
) -> None:
    """A transactional message is due now, in quiet hours and with every toggle off."""
    h = await quiet_user(harness_factory)
    for toggle in ("missions", "reminders", "announcements"):
        [shown] = await h.say(USER, "/notifications")
        h.sandbox.world.press(USER, shown, f"notif:toggle:{toggle}")
        await h.wait(lambda shown=shown: shown.edits == 1)
    assert await due_at(h, category) == LATE


@pytest.mark.parametrize("category", sorted(OPTIONAL))
async def test_optional_waits_for_quiet_hours(
    harness_factory: Callable[..., Any], category: Category
) -> None:
    """A mission, reminder or announcement in quiet hours waits until the window ends."""
    h = await quiet_user(harness_factory)
    assert await due_at(h, category) == MORNING


@pytest.mark.parametrize("category", sorted(OPTIONAL))
async def test_optional_is_muted_by_its_toggle(
    harness_factory: Callable[..., Any], category: Category
) -> None:
    """Turning a toggle off mutes its optional category (nothing is queued)."""
    h: Harness = await harness_factory(**UNPACED)
    toggle = {"mission": "missions", "reminder": "reminders", "announcement": "announcements"}
    [shown] = await h.say(USER, "/notifications")
    h.sandbox.world.press(USER, shown, f"notif:toggle:{toggle[category]}")
    await h.wait(lambda: shown.edits == 1)
    assert await due_at(h, category) is None


async def test_rows_queued_by_older_versions_are_transactional(
    harness_factory: Callable[..., Any],
) -> None:
    """At send time a legacy ``notification`` row goes out in quiet hours; a mission waits."""
    h = await quiet_user(harness_factory)
    rows = [("legacy", "notification", "your invite link"), ("daily", "mission", "mission")]
    async with h.services.db.session() as session:
        for key, category, text in rows:
            await session.execute(
                insert(OutboxMessage).values(
                    key=key,
                    chat_id=USER,
                    user_id=USER,
                    category=category,
                    method="sendMessage",
                    payload={"text": text},
                    priority=Priority.NOTIFICATION,
                    status=OutboxStatus.PENDING,
                    attempts=0,
                    next_attempt_at=LATE,
                    created_at=LATE,
                )
            )
    world = h.sandbox.world
    await h.wait(lambda: any(m.text == "your invite link" for m in world.to(USER)))

    async def mission_held() -> bool:
        async with h.services.db.session() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == "daily"))
        assert row is not None
        return row.status == OutboxStatus.PENDING and row.next_attempt_at == MORNING

    deadline = asyncio.get_running_loop().time() + 10
    while not await mission_held():
        assert asyncio.get_running_loop().time() < deadline, "the mission was not held"
        await asyncio.sleep(0.05)
    assert all(m.text != "mission" for m in world.to(USER))
