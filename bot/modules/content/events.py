"""Facts the content module publishes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.events import Event


@dataclass(frozen=True, slots=True)
class PostPublished(Event):
    """A scheduled post reached the channel as Telegram message ``message_id``."""

    post_id: int
    chat_id: int
    message_id: int
