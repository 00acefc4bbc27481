"""Small corners of the daily mission through the real bot and the sandbox: a user who
registers just before the day's mission time gets that day's mission, and /missions says
how many missions a cut list leaves out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.kernel.clock import ManualClock
from bot.modules.missions.models import Mission
from bot.sandbox import SentMessage
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness, settle

pytestmark = pytest.mark.lifted_limits

# 08:59:30 in Kyiv (UTC+2 in November): half a minute before the default mission time.
JUST_BEFORE = datetime(2026, 11, 21, 6, 59, 30, tzinfo=UTC)


async def _bot(factory: Callable[..., Any], start: datetime) -> tuple[Harness, ManualClock]:
    clock = ManualClock(start)
    harness: Harness = await factory(clock=clock, timezone="Europe/Kyiv", **UNPACED)
    await settle(harness)
    return harness, clock


def _missions_to(h: Harness, user_id: int) -> list[SentMessage]:
    return [m for m in h.sandbox.world.to(user_id) if "Today's mission" in (m.text or "")]


async def test_a_user_registered_just_before_the_mission_time_gets_todays_mission(
    harness_factory: Callable[..., Any],
) -> None:
    """A user whose first /start comes half a minute before the default 09:00 gets the
    day's mission at 09:00 (the minute's sweep first sees them after 09:00 began), once,
    and tomorrow's at tomorrow's 09:00."""
    h, clock = await _bot(harness_factory, JUST_BEFORE)
    await h.reply(61, "/start")
    clock.advance(timedelta(seconds=30))  # 09:00:00 in Kyiv: the sweep of that minute
    await h.sweep()
    await h.wait(lambda: len(_missions_to(h, 61)) == 1, timeout=15)
    clock.advance(timedelta(minutes=1))
    await h.sweep()
    await settle(h)
    assert len(_missions_to(h, 61)) == 1
    clock.advance(timedelta(hours=23, minutes=59))  # tomorrow 09:00
    await h.sweep()
    await h.wait(lambda: len(_missions_to(h, 61)) == 2, timeout=15)


async def test_a_user_registered_after_the_mission_time_waits_for_tomorrow(
    harness_factory: Callable[..., Any],
) -> None:
    """A user whose first /start comes after the day's 09:00 gets no mission that day from
    the sweep (they may ask /mission); the first arrives at the next 09:00."""
    h, clock = await _bot(harness_factory, JUST_BEFORE + timedelta(minutes=1))
    await h.reply(62, "/start")
    clock.advance(timedelta(minutes=1))
    await h.sweep()
    await settle(h)
    assert _missions_to(h, 62) == []
    clock.advance(timedelta(hours=23, minutes=59))
    await h.sweep()
    await h.wait(lambda: len(_missions_to(h, 62)) == 1, timeout=15)


async def test_a_cut_mission_catalogue_says_how_many_more_there_are(
    harness_factory: Callable[..., Any],
) -> None:
    """/missions over a catalogue too long for one message lists what fits and ends with
    "… and N more", N being exactly the missions it left out."""
    h, _clock = await _bot(harness_factory, JUST_BEFORE)
    title = ("Walk around the block and count the red doors you see " * 2)[:80].strip()
    for _n in range(60):
        await h.reply(ADMIN, f"/addmission 5 {title} | Do it.")
    async with h.services.db.session() as session:
        total = int(await session.scalar(select(func.count()).select_from(Mission)) or 0)
    (answer,) = await h.say(ADMIN, "/missions")
    text = answer.text or ""
    shown = text.count(" pts · ")
    assert len(text) <= 4096 and 0 < shown < total
    assert text.endswith(f"… and {total - shown} more")
