"""Preferences at send time: /broadcast (queued by INSERT ... SELECT) and later changes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core.delivery import OutboxMessage, OutboxStatus, Priority
from bot.core.kernel.clock import ManualClock
from bot.modules.broadcast.service import announcement
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.chat import answer
from tests.helpers.factories import queue_message

MUTED, QUIET, OTHERS = 4101, 4102, (4103, 4104)
NIGHT = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


async def _start(h: Harness, *user_ids: int) -> None:
    for user_id in user_ids:
        await answer(h, user_id, "/start", "")


def _got(h: Harness, user_id: int, text: str) -> int:
    return sum(1 for m in h.sandbox.world.to(user_id) if m.text == announcement(text))


async def _mute(h: Harness, user_id: int, field: str) -> None:
    [shown] = await h.say(user_id, "/notifications")
    h.sandbox.world.press(user_id, shown, f"notif:toggle:{field}")
    await h.wait(lambda: shown.edits == 1)


async def test_broadcast_skips_user_who_muted_announcements(harness: Harness) -> None:
    """A user who turned announcements off gets no /broadcast; progress counts them as skipped
    and finishes."""
    await _start(harness, MUTED, *OTHERS)
    await _mute(harness, MUTED, "announcements")
    status = await harness.broadcast(ADMIN, "Festival tonight")
    assert "of 3" in (status.text or "")
    await harness.wait(lambda: "Broadcast finished" in (status.text or ""), timeout=20)
    assert "sent 2 · failed 0 · skipped 1 · remaining 0 of 3" in (status.text or "")
    assert [_got(harness, u, "Festival tonight") for u in (MUTED, *OTHERS)] == [0, 1, 1]
    async with harness.services.db.session() as session:
        row = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.user_id == MUTED, OutboxMessage.category == "announcement"
            )
        )
    assert row is not None and row.status == OutboxStatus.SKIPPED
    assert row.last_error == "muted by preferences"


async def test_broadcast_waits_for_quiet_hours_to_end(harness_factory: Callable[..., Any]) -> None:
    """In quiet hours a /broadcast is held (shown as remaining) and delivered, once, when the
    window ends; the other users get it at once."""
    clock = ManualClock(NIGHT)
    h: Harness = await harness_factory(clock=clock, timezone="UTC")
    await _start(h, QUIET, *OTHERS)
    await answer(h, QUIET, "/quiet 22-08", "Quiet hours set")
    status = await h.broadcast(ADMIN, "Night owls")
    await h.wait(lambda: all(_got(h, u, "Night owls") == 1 for u in OTHERS), timeout=20)
    await h.wait(lambda: "remaining 1 of 3" in (status.text or ""), timeout=10)
    await asyncio.sleep(1.5)  # several polls of the sender while the window lasts
    assert _got(h, QUIET, "Night owls") == 0
    async with h.services.db.session() as session:
        held = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.user_id == QUIET, OutboxMessage.category == "announcement"
            )
        )
    assert held is not None and held.status == OutboxStatus.PENDING and held.attempts == 0
    assert held.next_attempt_at == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    clock.set(datetime(2026, 11, 22, 8, 0, 1, tzinfo=UTC))
    await h.wait(lambda: _got(h, QUIET, "Night owls") == 1, timeout=10)
    await h.wait(lambda: "Broadcast finished" in (status.text or ""), timeout=10)
    assert "sent 3 · failed 0 · remaining 0 of 3" in (status.text or "")


async def test_preference_changed_after_queuing_is_honoured(
    harness_factory: Callable[..., Any],
) -> None:
    """A reminder queued for later is skipped if the user turns reminders off meanwhile."""
    clock = ManualClock(NIGHT)
    h: Harness = await harness_factory(clock=clock)
    await _start(h, MUTED)
    later = NIGHT + timedelta(hours=1)
    reminder = {"category": "reminder", "priority": Priority.REMINDER, "not_before": later}
    assert await queue_message(h.services, "remind:later", MUTED, text="Don't forget", **reminder)
    await _mute(h, MUTED, "reminders")
    clock.advance(timedelta(hours=1, seconds=1))

    async def status() -> str:
        async with h.services.db.session() as session:
            row = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.key == "remind:later")
            )
        return row.status if row else ""

    for _ in range(40):
        if await status() == OutboxStatus.SKIPPED:
            break
        await asyncio.sleep(0.25)
    assert await status() == OutboxStatus.SKIPPED
    assert _got(h, MUTED, "Don't forget") == 0
