"""Paid broadcasts' arithmetic and parsing (``bot/modules/broadcast/paid.py``), the lane's
count against the cap on a real database, and the limiter letting paid sends past a full
free window."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.delivery.claims import Claimed
from bot.core.kernel import SERIAL_MAX, Database
from bot.core.ratelimit import CompanionRateLimiter, MemoryBackend, RatePolicy, Window
from bot.modules.broadcast import paid
from bot.modules.broadcast.paid_handlers import DROP, PAY, parse_press
from bot.modules.broadcast.paid_models import BroadcastPaid

FAST = settings(max_examples=400, deadline=None)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_million_copies_take_hours_free_and_minutes_paid() -> None:
    """Telegram's figures: 1,000,000 copies take about 9.3 h at 30/s and under 17 min at
    1,000/s; Telegram charges the 97% beyond the free 30/s (97,000 Stars); the cap counts
    every paid copy (100,000 Stars)."""
    found = paid.estimate(1_000_000, 100_000, 30.0, 1000.0)
    assert found.paid_copies == 1_000_000
    assert round(found.free_seconds / 3600, 1) == 9.3
    assert found.paid_seconds == 1000.0
    assert found.charge == 97_000 * 1000 and found.counted == 100_000 * 1000


def test_a_small_cap_pays_for_its_copies_only() -> None:
    """A cap of 1 Star covers 10 copies; the other 20 go at the free rate."""
    found = paid.estimate(30, 1, 2.0, 1000.0)
    assert (found.waiting, found.paid_copies) == (30, 10)
    assert found.free_seconds == 15.0
    assert found.paid_seconds == 10 / 1000 + 20 / 2.0
    assert found.counted == 1000
    assert found.charge == math.ceil(10 * 100 * (1 - 2 / 1000))  # 998 millistars
    assert paid.stars(found.charge) == "1" and paid.stars(found.counted) == "1"


def test_nothing_waiting_costs_nothing() -> None:
    found = paid.estimate(0, 50, 30.0, 1000.0)
    assert (found.paid_copies, found.charge, found.counted, found.paid_seconds) == (0, 0, 0, 0)


@FAST
@given(
    waiting=st.integers(0, 10**7),
    cap=st.integers(0, paid.MAX_CAP),
    free=st.floats(0.1, 1000),
    faster=st.floats(1, 100),
)
def test_the_estimate_never_passes_the_cap(
    waiting: int, cap: int, free: float, faster: float
) -> None:
    """Paid copies are at most the copies waiting and what the cap buys; Telegram's charge is
    at most the cap's count, which is at most the cap; the paid lane is never slower."""
    found = paid.estimate(waiting, cap, free, free * faster)
    assert found.paid_copies == min(waiting, cap * 10)
    assert 0 <= found.charge <= found.counted <= cap * 1000
    assert found.counted == found.paid_copies * 100
    assert found.paid_seconds <= found.free_seconds * (1 + 1e-9)


@FAST
@given(st.integers(0, 10**12))
def test_stars_are_shown_to_a_tenth_never_less(millistars: int) -> None:
    shown = paid.stars(millistars)
    whole, _, tenth = shown.partition(".")
    value = int(whole) * 1000 + (int(tenth) * 100 if tenth else 0)
    assert millistars <= value < millistars + 100
    assert tenth != "0"


@FAST
@given(st.lists(st.text(max_size=12), max_size=3))
def test_the_arguments_are_two_plain_numbers_or_nothing(words: list[str]) -> None:
    """Any words: two ASCII numbers in range read back as written, anything else is None."""
    found = paid.parse_args(words)
    if found is None:
        return
    broadcast_id, cap = found
    assert len(words) == 2
    assert words == [str(broadcast_id), str(cap)] or [w.lstrip("0") for w in words] == [
        str(broadcast_id),
        str(cap),
    ]
    assert 1 <= broadcast_id <= SERIAL_MAX and 1 <= cap <= paid.MAX_CAP


@FAST
@given(st.integers(1, SERIAL_MAX), st.integers(1, paid.MAX_CAP))
def test_written_arguments_read_back(broadcast_id: int, cap: int) -> None:
    assert paid.parse_args([str(broadcast_id), str(cap)]) == (broadcast_id, cap)
    assert parse_press(f"{PAY}{broadcast_id}:{cap}") == (PAY, broadcast_id, cap)
    assert parse_press(f"{DROP}{broadcast_id}") == (DROP, broadcast_id, 0)


def test_refused_arguments() -> None:
    for words in (
        [],
        ["1"],
        ["1", "0"],
        ["0", "5"],
        ["1", "٣"],
        ["1", "+5"],
        ["1", " 5"],
        ["1", "5", "6"],
        ["1", str(paid.MAX_CAP + 1)],
        ["x", "5"],
        ["-1", "5"],
    ):
        assert paid.parse_args(words) is None, words
    for data in ("", PAY, f"{PAY}1", f"{PAY}1:0", f"{PAY}1:2:3", f"{DROP}", f"{DROP}1:2", "x"):
        assert parse_press(data) is None, data


@FAST
@given(st.text(max_size=30))
def test_only_broadcast_keys_name_a_broadcast(key: str) -> None:
    found = paid.broadcast_of(key)
    assert found is None or key.startswith(f"broadcast:{found}:") or key == f"broadcast:{found}"


def _rows(broadcast_id: int, ids: range) -> list[Claimed]:
    return [
        Claimed(i, f"broadcast:{broadcast_id}:{i}", i, i, "sendMessage", {"text": "x"}, 0)
        for i in ids
    ]


async def _lane(db: Database, broadcast_id: int) -> tuple[int, str]:
    async with db.session() as session:
        found = await session.get(BroadcastPaid, broadcast_id)
        assert found is not None
        return found.spent_millistars, found.state


async def test_the_lane_counts_each_paid_copy_and_stops_at_the_cap(db: Database) -> None:
    """A cap of 1 Star: claims of 4, 4 and 4 rows get 4, 4 and 2 paid copies, then none; the
    count is 1,000 millistars and the lane spent; other keys and unconfirmed broadcasts are
    never paid; a second confirm changes nothing."""
    async with db.session() as session:
        assert await paid.confirm(session, 7, 1, 1, NOW)
        assert not await paid.confirm(session, 7, 50, 2, NOW)
    admitted: list[set[int]] = []
    for start in (1, 5, 9, 13):
        async with db.session() as session:
            others = [Claimed(100 + start, f"post:{start}", 1, 1, "sendMessage", {}, 0)]
            rows = _rows(7, range(start, start + 4)) + _rows(8, range(50 + start, 54 + start))
            admitted.append(await paid.admit(session, rows + others))
    assert admitted == [{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10}, set()]
    assert await _lane(db, 7) == (1000, paid.SPENT)
    async with db.session() as session:
        found = await session.get(BroadcastPaid, 7)
        assert found is not None and (found.cap_stars, found.confirmed_by) == (1, 1)


async def test_a_claim_that_exactly_fills_the_cap_spends_the_lane(db: Database) -> None:
    async with db.session() as session:
        await paid.confirm(session, 3, 1, 1, NOW)
        assert await paid.admit(session, _rows(3, range(1, 11))) == set(range(1, 11))
    assert await _lane(db, 3) == (1000, paid.SPENT)


async def test_a_refusal_gives_the_copy_back_and_stops_the_lane(db: Database) -> None:
    async with db.session() as session:
        await paid.confirm(session, 4, 5, 1, NOW)
        assert await paid.admit(session, _rows(4, range(1, 4))) == {1, 2, 3}
    lane = paid.BroadcastPaidLane(db)
    await lane.refused(_rows(4, range(1, 2))[0])
    assert await _lane(db, 4) == (200, paid.REFUSED)
    async with db.session() as session:
        assert await paid.admit(session, _rows(4, range(5, 8))) == set()


async def _send(limiter: CompanionRateLimiter, log: list[str], name: str, **data: Any) -> None:
    async def call() -> dict[str, Any]:
        log.append(name)
        return {"ok": name}

    lane = {"lane": "bulk"} if data.pop("bulk", False) else None
    await limiter.process_request(call, (), {}, "sendMessage", data, lane)


async def test_paid_sends_pass_a_full_free_window() -> None:
    """The free window holds one send a minute: a second reply waits for it, and the paid
    bulk sends queued behind that reply go at once all the same."""
    policy = RatePolicy(
        total=Window(1, 60.0), private=Window(5, 1.0), group=Window(20, 60.0), paid=Window(100, 1.0)
    )
    limiter = CompanionRateLimiter(policy, MemoryBackend())
    await limiter.initialize()
    log: list[str] = []
    try:
        await _send(limiter, log, "free-1", chat_id=1)
        held = asyncio.create_task(_send(limiter, log, "free-2", chat_id=2))
        await asyncio.sleep(0)
        paid_sends = [
            _send(limiter, log, f"paid-{i}", chat_id=10 + i, allow_paid_broadcast=True, bulk=True)
            for i in range(5)
        ]
        async with asyncio.timeout(30):  # a hang guard: they go at once
            await asyncio.gather(*paid_sends)
        assert not held.done()
        assert log == ["free-1", *(f"paid-{i}" for i in range(5))]
        held.cancel()
    finally:
        await limiter.shutdown()
