"""The sender's per-chat queues: who goes next when chats are slow or busy."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.delivery.claims import Claimed
from bot.core.delivery.scopes import Closed, ScopeQueues

pytestmark = pytest.mark.own_database  # no database: the PostgreSQL run would repeat it as is


def _row(row_id: int, chat_id: int, priority: int = 50) -> Claimed:
    return Claimed(row_id, f"k{row_id}", chat_id, None, "sendMessage", {}, 0, "", priority)


async def _take_ready(queues: ScopeQueues) -> list[int]:
    taken = []
    while True:
        try:
            async with asyncio.timeout(0.05):
                taken.append((await queues.take()).id)
        except TimeoutError:
            return taken


async def test_one_row_per_chat_in_flight_and_priority_first() -> None:
    """A chat with many rows yields one at a time; other chats go meanwhile, the lowest
    priority value first, round-robin among equals."""
    queues = ScopeQueues(group_slots=8)
    queues.put([_row(1, -5, 20), _row(2, -5, 20), _row(3, -5, 20)])  # one channel
    queues.put([_row(4, 10), _row(5, 11), _row(6, 12, priority=0)])
    assert await _take_ready(queues) == [6, 1, 4, 5]
    assert queues.held() == {-5: 3, 10: 1, 11: 1, 12: 1}
    queues.done(_row(1, -5, 20))
    assert await _take_ready(queues) == [2]


async def test_groups_take_at_most_their_slots() -> None:
    """Slow group/channel chats never occupy more workers than their slots."""
    queues = ScopeQueues(group_slots=2)
    queues.put([_row(i, -i) for i in range(1, 6)] + [_row(9, 9)])
    assert sorted(await _take_ready(queues)) == [1, 2, 9]


async def test_closed_queues_stop_waiting_workers() -> None:
    """Closing (the sender stopping) ends a worker's wait for a row."""
    queues = ScopeQueues(group_slots=1)
    waiting = asyncio.create_task(queues.take())
    await asyncio.sleep(0)
    queues.close()
    with pytest.raises(Closed):
        await waiting
