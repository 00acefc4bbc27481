"""The update processor on its own: a chat waits for its turn before it takes a global slot,
and its backlog is capped without ever dropping payments."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Chat, Message, SuccessfulPayment, Update, User

from bot.core.telegram.processor import ChatOrderedUpdateProcessor

pytestmark = pytest.mark.own_database  # no database: the PostgreSQL run would repeat it as is

FLOODER, OTHER = 7, 8


def _text(update_id: int, chat_id: int) -> Update:
    chat, user = Chat(chat_id, Chat.PRIVATE), User(chat_id, "U", False)
    message = Message(update_id, None, chat, from_user=user, text="/help")  # type: ignore[arg-type]
    return Update(update_id, message=message)


def _payment(update_id: int, chat_id: int) -> Update:
    paid = SuccessfulPayment("XTR", 50, "vip:7:30:50", "charge", "provider")
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, successful_payment=paid)  # type: ignore[arg-type]
    return Update(update_id, message=message)


class _Gate:
    """Handlers that record their start and wait until released."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.release = asyncio.Event()
        self.changed = asyncio.Condition()

    async def handle(self, update_id: int) -> None:
        self.started.append(update_id)
        async with self.changed:
            self.changed.notify_all()
        await self.release.wait()

    async def until_started(self, update_id: int) -> None:
        async with asyncio.timeout(5), self.changed:
            await self.changed.wait_for(lambda: update_id in self.started)


async def test_flooded_chat_holds_one_slot_and_others_run() -> None:
    """Ten blocked updates of one chat take one of the two global slots; another chat runs."""
    processor = ChatOrderedUpdateProcessor(2, backlog=50)
    gate = _Gate()
    flood = [
        asyncio.create_task(processor.process_update(_text(i, FLOODER), gate.handle(i)))
        for i in range(10)
    ]
    other = asyncio.create_task(processor.process_update(_text(99, OTHER), gate.handle(99)))
    await gate.until_started(99)
    assert gate.started == [0, 99]  # the flooder's second update waits for its own first
    assert processor.current_concurrent_updates == 2
    gate.release.set()
    await asyncio.gather(*flood, other)
    assert gate.started == [0, 99, *range(1, 10)]
    assert processor.active_chats == 0


async def test_backlog_cap_drops_chatter_warns_once_keeps_payments() -> None:
    """Backlog 3: texts beyond it are dropped and counted, one slow-down, payments still run."""
    drops: list[int] = []
    warned: list[int] = []

    async def slow_down(update: Update) -> None:
        warned.append(update.update_id)

    processor = ChatOrderedUpdateProcessor(
        8, backlog=3, on_drop=lambda: drops.append(1), slow_down=slow_down
    )
    gate = _Gate()
    updates = [_text(i, FLOODER) for i in range(10)] + [_payment(10, FLOODER)]
    tasks = [
        asyncio.create_task(processor.process_update(u, gate.handle(u.update_id))) for u in updates
    ]
    async with asyncio.timeout(5):  # the dropped ones finish while the chat's head still waits
        await asyncio.gather(*tasks[4:10])
    gate.release.set()
    await asyncio.gather(*tasks)
    assert gate.started == [0, 1, 2, 3, 10]  # one running + three waiting, then the payment
    assert len(drops) == 6 and warned == [4]
    assert processor.active_chats == 0


async def test_second_burst_soon_after_gets_no_second_slow_down() -> None:
    """Two bursts 0 s apart: both are capped and counted, the chat is told to slow down once."""
    drops: list[int] = []
    warned: list[int] = []

    async def slow_down(update: Update) -> None:
        warned.append(update.update_id)

    processor = ChatOrderedUpdateProcessor(
        8, backlog=1, on_drop=lambda: drops.append(1), slow_down=slow_down
    )
    for burst in (0, 100):
        gate = _Gate()
        tasks = [
            asyncio.create_task(processor.process_update(_text(i, FLOODER), gate.handle(i)))
            for i in range(burst, burst + 5)
        ]
        await gate.until_started(burst)
        gate.release.set()
        await asyncio.gather(*tasks)
        assert gate.started == [burst, burst + 1]
    assert len(drops) == 6 and warned == [2]
