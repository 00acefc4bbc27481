"""/broadcast at a time, at each recipient's own local time, and repeated, through the real
bot and the sandbox with a manual clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core.delivery import OutboxMessage
from bot.core.kernel.clock import ManualClock
from bot.core.people import users
from bot.modules.broadcast.models import Broadcast
from bot.modules.broadcast.service import announcement
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.chat import answer
from tests.helpers.factories import register_users
from tests.helpers.moderation import press

KYIV_USER, NEW_YORK_USER, BOT_ZONE_USER = 41_001, 41_002, 41_003
START = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)  # 07:00 in Kyiv, midnight in New York
KYIV_NINE = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # EET, UTC+2
NEW_YORK_NINE = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # EST, UTC-5
UTC_NINE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def _bot(harness_factory: Callable[..., Any]) -> tuple[Harness, ManualClock]:
    clock = ManualClock(START)
    h: Harness = await harness_factory(clock=clock, timezone="UTC")
    people = (KYIV_USER, NEW_YORK_USER, BOT_ZONE_USER)
    await register_users(h.services, people, world=h.sandbox.world)
    async with h.services.db.session() as session:
        await users.set_timezone(session, KYIV_USER, "Europe/Kyiv")
        await users.set_timezone(session, NEW_YORK_USER, "America/New_York")
    return h, clock


def _got(h: Harness, user_id: int, text: str) -> int:
    return sum(1 for m in h.sandbox.world.to(user_id) if m.text == announcement(text))


async def _send(h: Harness, body: str) -> str:
    """/broadcast ``body``, Send pressed; the question as it reads after the press."""
    _preview, question = await h.say(ADMIN, f"/broadcast {body}", replies=2)
    [send] = [b["callback_data"] for b in question.buttons() if "bcast:go:" in b["callback_data"]]
    assert await press(h, ADMIN, question, send) == "Scheduled."
    await h.wait(lambda: "scheduled" in (question.text or ""))
    return question.text or ""


async def _due(h: Harness) -> dict[int | None, datetime]:
    async with h.services.db.session() as session:
        rows = await session.execute(
            select(OutboxMessage.user_id, OutboxMessage.next_attempt_at).where(
                OutboxMessage.key.startswith("broadcast:")
            )
        )
        return {user_id: due for user_id, due in rows.all()}


async def test_a_local_time_broadcast_reaches_each_user_at_their_own_nine(
    harness_factory: Callable[..., Any],
) -> None:
    """local:09:00: the Kyiv user gets it at 09:00 in Kyiv, the New York user at 09:00 in New
    York, the user without a zone at 09:00 in the bot's zone; each once, nobody earlier."""
    h, clock = await _bot(harness_factory)
    shown = await _send(h, "local:09:00\nGood morning")
    assert "Broadcast #1 scheduled: local:09:00" in shown and "3 users" in shown
    assert await _due(h) == {
        KYIV_USER: KYIV_NINE,
        NEW_YORK_USER: NEW_YORK_NINE,
        BOT_ZONE_USER: UTC_NINE,
    }
    await h.idle()
    assert [_got(h, u, "Good morning") for u in (KYIV_USER, NEW_YORK_USER, BOT_ZONE_USER)] == [
        0,
        0,
        0,
    ]
    clock.set(KYIV_NINE + timedelta(seconds=1))
    await h.wait(lambda: _got(h, KYIV_USER, "Good morning") == 1)
    await h.idle()
    assert _got(h, NEW_YORK_USER, "Good morning") == 0 == _got(h, BOT_ZONE_USER, "Good morning")
    clock.set(UTC_NINE + timedelta(seconds=1))
    await h.wait(lambda: _got(h, BOT_ZONE_USER, "Good morning") == 1)
    clock.set(NEW_YORK_NINE + timedelta(seconds=1))
    await h.wait(lambda: _got(h, NEW_YORK_USER, "Good morning") == 1)
    await h.idle()
    assert [_got(h, u, "Good morning") for u in (KYIV_USER, NEW_YORK_USER, BOT_ZONE_USER)] == [
        1,
        1,
        1,
    ]


async def test_a_daily_broadcast_repeats_until_cancelled(
    harness_factory: Callable[..., Any],
) -> None:
    """at:18:30 every:day: today's copies at 18:30; the repeat job queues tomorrow's a day
    ahead (once, however often it runs); cancelling tomorrow's ends the series."""
    h, clock = await _bot(harness_factory)
    shown = await _send(h, "at:18:30 every:day\nDaily digest")
    assert "at:18:30 every:day" in shown
    today = datetime(2026, 12, 7, 18, 30, tzinfo=UTC)
    assert set((await _due(h)).values()) == {today}
    assert await h.run_job("broadcast.repeat") == "queued 0 repeated broadcasts, 0 ended"
    clock.set(today + timedelta(seconds=1))
    await h.wait(lambda: _got(h, KYIV_USER, "Daily digest") == 1)
    assert await h.run_job("broadcast.repeat") == "queued 1 repeated broadcast, 0 ended"
    assert await h.run_job("broadcast.repeat") == "queued 0 repeated broadcasts, 0 ended"
    async with h.services.db.session() as session:
        series = list(await session.scalars(select(Broadcast).order_by(Broadcast.id)))
    assert [(b.id, b.series_id, b.occurrence, b.total) for b in series] == [
        (1, 1, 0, 3),
        (2, 1, 1, 3),
    ]
    assert series[1].next_at == today + timedelta(days=2) - timedelta(hours=26)
    await answer(h, ADMIN, "/cancelbroadcast 2", "cancelled")
    clock.set(today + timedelta(days=1, hours=1))
    assert await h.run_job("broadcast.repeat") == "queued 0 repeated broadcasts, 1 ended"
    async with h.services.db.session() as session:  # tomorrow's copies: none left to send
        statuses = await session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.key.startswith("broadcast:2:"))
        )
        assert set(statuses) == {"skipped"}
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 2
    assert _got(h, KYIV_USER, "Daily digest") == 1


async def test_a_time_that_has_passed_is_refused(harness_factory: Callable[..., Any]) -> None:
    h, _clock = await _bot(harness_factory)
    assert "That time has passed." in await h.reply(
        ADMIN, "/broadcast at:2026-12-06T09:00\nToo late"
    )
    assert "is not a time" in await h.reply(ADMIN, "/broadcast at:25:00\nNever")
