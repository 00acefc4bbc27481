"""A past day's report counts the users who were reachable that day: blocks and unblocks
after the day do not change it (the reachability history), through the real bot and the
sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.core.people import users
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.clocks import START, eventually

pytestmark = pytest.mark.lifted_limits

A, B, C, E, D = 9101, 9102, 9103, 9105, 9104


async def _reachable(h: Harness, user_id: int, expected: bool) -> None:
    """Wait until the bot has recorded ``user_id``'s block or unblock."""

    async def recorded() -> bool:
        async with h.services.db.session() as session:
            user = await session.get(users.User, user_id)
            return user is not None and user.reachable is expected

    await eventually(recorded)


async def test_a_past_days_report_counts_that_days_reachable_users(
    harness_factory: Callable[..., Any],
) -> None:
    """Day 1: A, B, C and E start the bot, E blocks it (3 reachable at the day's end).
    Day 2, before the report: B and C block it, E unblocks it, D joins. The report of
    day 1 still says 3 reachable (counting now would say 2: A and E)."""
    clock = ManualClock(START)
    h: Harness = await harness_factory(clock=clock, **UNPACED)
    for user_id in (A, B, C, E):
        await h.reply(user_id, "/start")
    clock.advance(timedelta(hours=2))
    h.sandbox.world.block(E)
    await _reachable(h, E, False)
    clock.advance(timedelta(hours=21))  # day 2, 08:00
    for user_id in (B, C):
        h.sandbox.world.block(user_id)
        await _reachable(h, user_id, False)
    h.sandbox.world.block(E, False)
    await _reachable(h, E, True)
    await h.reply(D, "/start")
    clock.advance(timedelta(hours=1))
    await h.run_job("analytics.daily_report")
    async with h.services.db.session() as session:
        [report] = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.method == "sendPhoto")
        )
    caption = report.payload["caption"].splitlines()
    assert "Users: 4" in caption and "Reachable: 3" in caption
