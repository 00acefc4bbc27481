"""Messages to one person: queued to their private chat, written in their language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery.categories import Category
from bot.core.delivery.outbox import Outbox
from bot.core.people.languages import speaking_to

# A text as written in the current language: a callable is called in the reader's own.
Text = str | Callable[[], str | None]


async def tell(
    outbox: Outbox,
    session: AsyncSession,
    user_id: int,
    *,
    key: str,
    category: Category,
    priority: int,
    text: Text | None = None,
    method: str = "sendMessage",
    payload: dict[str, Any] | None = None,
) -> bool:
    """Queue a message to ``user_id``'s private chat once per ``key``, in the caller's
    transaction and subject to the user's preferences for ``category``; a ``text`` given as
    a callable is written in the user's language. False when it was not queued."""
    if callable(text):
        async with speaking_to(session, user_id):
            text = text()
    return await outbox.enqueue(
        session,
        key=key,
        chat_id=user_id,
        user_id=user_id,
        category=category,
        priority=priority,
        text=text,
        method=method,
        payload=payload,
    )
