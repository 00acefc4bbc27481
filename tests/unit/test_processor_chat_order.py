"""Update processing: in order within a chat, concurrent across chats."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update

from bot.core.telegram.processor import ChatOrderedUpdateProcessor


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, None, chat))  # type: ignore[arg-type]


async def test_one_chat_in_order_other_chats_concurrently() -> None:
    """A slow first update of chat 1 delays chat 1's second update, not chat 2's."""
    processor = ChatOrderedUpdateProcessor(8)
    log: list[str] = []

    async def handle(name: str, delay: float) -> None:
        log.append(f"{name} start")
        await asyncio.sleep(delay)
        log.append(f"{name} end")

    await asyncio.gather(
        processor.process_update(_update(1, 1), handle("a1", 0.05)),
        processor.process_update(_update(2, 1), handle("a2", 0.0)),
        processor.process_update(_update(3, 2), handle("b1", 0.0)),
    )
    assert log.index("a1 end") < log.index("a2 start")
    assert log.index("b1 end") < log.index("a1 end")
    assert processor.active_chats == 0


async def test_updates_without_chat_pass_through() -> None:
    """An update with no chat (e.g. a poll answer) is processed at once."""
    processor = ChatOrderedUpdateProcessor(2)
    done: list[int] = []

    async def handle() -> None:
        done.append(1)

    await processor.process_update(Update(9), handle())
    assert done == [1]
