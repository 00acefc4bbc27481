"""The console's Charts API over real loopback HTTP against the running bot (and the sandbox
Bot API): users, new users, missions completed and Stars revenue per day, read from the
daily snapshots analytics keeps (the figures /stats shows); the refusals change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.core.kernel.clock import ManualClock
from bot.core.web import ConsoleError
from bot.modules.analytics.console_api import days_of
from bot.modules.analytics.models import DailySnapshot
from bot.sandbox import SentMessage
from tests.conftest import ADMIN
from tests.e2e.conftest import Harness
from tests.helpers.chat import answer, told
from tests.helpers.clocks import START
from tests.helpers.console import ConsoleClient, sign_init_data
from tests.helpers.servers import free_port
from tests.helpers.stars import FRIEND, USER, pay, selling

STRANGER, MODERATOR = 5, 77
FIGURES = ("users_total", "users_new", "missions_completed", "stars_revenue")
pytestmark = pytest.mark.lifted_limits


async def console_bot(harness_factory: Callable[..., Any]) -> tuple[Harness, int]:
    """A bot selling VIP for 50 Stars (USER and FRIEND registered on START's day), serving
    the console on a free loopback port, with one moderator."""
    port = free_port()
    h = await selling(
        harness_factory,
        http_port=port,
        console_url=f"http://127.0.0.1:{port}/console/",
        moderator_ids=f"{ADMIN},{MODERATOR}",
    )
    return h, port


def signed(h: Harness, user: int) -> str:
    """initData signed now on the bot's (manual) clock."""
    return sign_init_data(h.app.bot.token, user, auth_date=h.services.clock.now().timestamp())


async def stored(h: Harness) -> dict[date, dict[str, int]]:
    """Every daily snapshot, by day."""
    async with h.services.db.session() as session:
        rows = await session.execute(select(DailySnapshot.day, DailySnapshot.figures))
        return {day: dict(figures) for day, figures in rows.all()}


async def charts(h: Harness, port: int, query: str = "") -> dict[str, Any]:
    async with ConsoleClient(port, signed(h, ADMIN)) as client:
        got = await client.get(f"charts{query}")
    assert got.status == 200, got
    body: dict[str, Any] = got.body
    return body


def done_buttons(messages: list[SentMessage]) -> list[tuple[SentMessage, str]]:
    """The mission messages among ``messages``, each with its Done button's data."""
    return [
        (message, button["callback_data"])
        for message in messages
        for button in message.buttons()
        if str(button.get("callback_data", "")).startswith("mission:done:")
    ]


def day_of(body: dict[str, Any], day: date) -> dict[str, Any]:
    """The figures the answer gives for ``day``."""
    index = body["series"]["day"].index(day.isoformat())
    return {name: body["series"][name][index] for name in FIGURES}


async def test_charts_give_each_days_users_missions_and_stars_granted_minus_refunded(
    harness_factory: Callable[..., Any],
) -> None:
    """Two users pay 50 Stars each on the first day, one is refunded the next day, one mission
    is completed: the charts show users registered by each day's end, the new users, the
    mission and Stars of 100 then -50 (a refund counts on its own day); the days before the
    bot ran are gaps (null), not zeros; the daily report and /stats show the same figures."""
    h, port = await console_bot(harness_factory)
    first = START.date()
    for user_id in (USER, FRIEND):
        charge = await pay(h, user_id)
        await told(h, user_id, "Thank you! VIP until")
    await answer(h, ADMIN, "/addmission 10 Walk | Walk for ten minutes.", "Added")
    world = h.sandbox.world
    before = len(world.to(USER))
    world.send_text(USER, "/mission")
    done = await h.wait(lambda: next(iter(done_buttons(world.to(USER)[before:])), None))
    pressed = len(world.callback_answers)
    world.press(USER, *done)
    await h.wait(lambda: len(world.callback_answers) > pressed)
    await h.run_job("analytics.quick_stats")
    clock = h.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(days=1))
    await answer(h, ADMIN, f"/refund {charge}", "Refunded")
    await h.run_job("analytics.daily_report")  # yesterday's figures, final
    await h.run_job("analytics.quick_stats")  # today's

    body = await charts(h, port, "?days=4")
    second = first + timedelta(days=1)
    assert body["days"] == 4 and body["last"] == second.isoformat()
    assert body["series"]["day"] == [(second - timedelta(days=n)).isoformat() for n in (3, 2, 1, 0)]
    users = 2  # USER and FRIEND (the admin never sent /start)
    assert day_of(body, first) == {
        "users_total": users,
        "users_new": users,
        "missions_completed": 1,
        "stars_revenue": 100,
    }
    assert day_of(body, second) == {
        "users_total": users,
        "users_new": 0,
        "missions_completed": 0,
        "stars_revenue": -50,
    }
    for before in (first - timedelta(days=2), first - timedelta(days=1)):
        assert day_of(body, before) == dict.fromkeys(FIGURES)
    assert body["updated_at"] is not None and body["timezone"] == h.services.settings.tz.key
    await told(h, ADMIN, "Daily report for", "Stars revenue (granted minus refunded): 100")
    stats = await answer(h, ADMIN, "/stats", "Stats for")
    assert "Stars revenue (granted minus refunded): -50" in stats and "Users: 2" in stats


async def test_charts_default_to_30_days_and_fill_today_on_a_fresh_bot(
    harness_factory: Callable[..., Any],
) -> None:
    """Without ``days`` the answer covers 30 days ending today; on a bot whose today has no
    snapshot yet the first request computes it (as /stats would), and a cookie session reads
    the charts without a CSRF token (a read changes nothing it would guard)."""
    h, port = await console_bot(harness_factory)
    async with h.services.db.session() as session:
        await session.execute(delete(DailySnapshot))
    async with ConsoleClient(port, signed(h, ADMIN)) as client:
        assert (await client.post("session")).status == 200
        client.init_data = None  # the cookie only
        got = await client.get("charts")
    assert got.status == 200, got
    series = got.body["series"]
    assert got.body["days"] == 30 and len(series["day"]) == 30
    assert series["day"][-1] == START.date().isoformat()
    assert series["users_total"][-1] == 2 and series["users_new"][-1] == 2
    assert series["stars_revenue"][-1] == 0 and series["users_total"][:-1] == [None] * 29
    assert set(await stored(h)) == {START.date()}


async def test_charts_refusals_change_nothing(harness_factory: Callable[..., Any]) -> None:
    """A bad ``days`` (0, 366, non-ASCII digits, signs, fractions, text) is 400, a stranger
    403, a moderator 403, no sign-in 401: none of them writes today's snapshot (which a good
    request would) nor anything in the audit log; a guessed path under charts is 404."""
    h, port = await console_bot(harness_factory)
    async with h.services.db.session() as session:
        await session.execute(delete(DailySnapshot))
    refusals: list[tuple[str | None, str, int]] = [
        (signed(h, ADMIN), f"charts?days={bad}", 400)
        for bad in (
            "0",
            "366",
            "-1",
            "+5",
            "٣٠",
            "²",
            "7.0",
            "1e2",
            "thirty",
            "",
            " 7",
            "99999999999",
        )
    ]
    refusals += [
        (signed(h, STRANGER), "charts", 403),
        (signed(h, MODERATOR), "charts?days=7", 403),
        (None, "charts", 401),
        (signed(h, ADMIN), "charts/1", 404),
    ]
    for init_data, path, status in refusals:
        async with ConsoleClient(port, init_data) as client:
            got = await client.get(path)
        assert got.status == status, (path, got)
    assert await stored(h) == {}
    async with ConsoleClient(port, signed(h, ADMIN)) as client:
        audit = await client.get("audit")
        assert audit.status == 200 and audit.body == []
        me = await client.get("me")
    assert "charts" in [page["id"] for page in me.body["pages"]]
    async with ConsoleClient(port, signed(h, MODERATOR)) as client:
        assert "charts" not in [p["id"] for p in (await client.get("me")).body["pages"]]


@given(st.text(max_size=12) | st.integers(-1000, 1000).map(str))
def test_days_are_read_or_refused_never_raised(text: str) -> None:
    """``days`` is 1-365 in ASCII digits (no sign, space or other digits), else a 400
    ConsoleError; whatever the text, nothing else is raised, and a valid value reads back."""
    try:
        days = days_of(text)
    except ConsoleError as refused:
        assert refused.status == 400
        assert not (text.isascii() and text.isdigit() and 1 <= int(text) <= 365)
        return
    assert 1 <= days <= 365 and text.isascii() and int(text) == days


def test_no_days_means_30() -> None:
    """An absent ``days`` is the default of 30."""
    assert days_of(None) == 30
