"""Facts the content module publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.kernel import Event


@dataclass(frozen=True, slots=True)
class PostPublished(Event):
    """A scheduled post reached the channel as Telegram message ``message_id``."""

    post_id: int
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class PostScheduled(Event):
    """A post was put in the queue for ``publish_at``; ``source_item_id`` names its origin
    within ``source`` (for ``moderation``: the submission id)."""

    post_id: int
    source: str
    source_item_id: str
    publish_at: datetime


@dataclass(frozen=True, slots=True)
class PostCancelled(Event):
    """An admin cancelled a scheduled post (``/cancelpost``)."""

    post_id: int
    source: str
    source_item_id: str
