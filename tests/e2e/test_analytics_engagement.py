"""Start-link sources and the engagement roll-up end to end: users open the bot through
``t.me/<bot>?start=src_x`` (and an invite, and no link), the roll-up runs after the day,
and an admin's /stats shows the day's active users, the funnel and the sources."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.kernel.clock import ManualClock
from bot.core.people import User
from bot.modules.analytics.models import UserDay
from tests.conftest import ADMIN
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.chat import answer
from tests.helpers.clocks import START
from tests.helpers.console import ConsoleClient, sign_init_data
from tests.helpers.servers import free_port

pytestmark = pytest.mark.lifted_limits


async def test_stats_show_the_sources_users_came_through(
    harness_factory: Callable[..., Any],
) -> None:
    """Two users /start src_x, one comes through an invite, one without a link; a later
    /start src_y changes no source. Before any roll-up /stats says there is none; after the
    day is rolled up it shows the four who started, the active users and each source."""
    clock = ManualClock(START)
    h = await harness_factory(clock=clock, **UNPACED)
    await h.services.runner.caught_up()
    h.sandbox.world.user(ADMIN, "Admin")
    for user_id, text in ((801, "/start src_x"), (802, "/start src_x"), (803, "/start ref_801")):
        assert "Welcome to Companion" in await h.reply(user_id, text)
    await h.reply(804, "/start")
    assert "Welcome back" in await h.reply(801, "/start src_y")
    async with h.services.db.session() as session:
        found = await session.execute(select(User.id, User.source).order_by(User.id))
        assert found.all() == [(801, "src_x"), (802, "src_x"), (803, "ref"), (804, None)]
    await answer(h, ADMIN, "/stats", "Engagement: no daily roll-up yet")

    clock.advance(timedelta(days=1))
    summary = await h.run_job("analytics.engagement")
    assert summary is not None and summary.startswith("rolled up 1 day")
    stats = await answer(h, ADMIN, "/stats", "Engagement on")
    assert "Active users: 5 that day, 5 in 7 days, 5 in 30 days" in stats  # the admin too
    assert "Funnel: started 4 → first mission 0 (0%)" in stats
    assert "Sources (users → VIP): src_x 2 → 0; no link 1 → 0; ref 1 → 0" in stats
    async with h.services.db.session() as session:
        seen = (await session.execute(select(UserDay.day, UserDay.user_id))).all()
    first, second = START.date(), START.date() + timedelta(days=1)
    assert sorted(seen) == [(first, user) for user in (ADMIN, 801, 802, 803, 804)] + [
        (second, ADMIN)
    ]


def signed(h: Harness, clock: ManualClock) -> str:
    """initData of the admin, signed now on the bot's clock."""
    return sign_init_data(h.app.bot.token, ADMIN, auth_date=clock.now().timestamp())


async def test_the_console_reads_the_roll_up(harness_factory: Callable[..., Any]) -> None:
    """``GET /console/api/engagement`` answers ``day: null`` before the first roll-up, then
    the last day's figures, sources and join weeks; a bad ``weeks`` is refused with 400."""
    port = free_port()
    clock = ManualClock(START)
    h = await harness_factory(
        clock=clock, http_port=port, console_url=f"http://127.0.0.1:{port}/console/", **UNPACED
    )
    await h.services.runner.caught_up()
    await h.reply(811, "/start src_console")
    async with ConsoleClient(port, signed(h, clock)) as client:
        before = await client.get("engagement")
    assert before.status == 200 and before.body == {"day": None}
    clock.advance(timedelta(days=1))
    await h.run_job("analytics.engagement")
    async with ConsoleClient(port, signed(h, clock)) as client:  # signed on the new day
        got = await client.get("engagement?weeks=2")
        refused = await client.get("engagement?weeks=0")
    assert got.status == 200 and got.body["day"] == START.date().isoformat()
    assert got.body["sources"] == {"src_console": [1, 0]} and got.body["dau"] == 1
    assert got.body["funnel"]["start"] == 1
    [week] = got.body["retention"]
    assert week["joined"] == 1 and week["day_1"] is None
    assert refused.status == 400
