"""Facts the moderation module publishes: one event per state change of a submission.

Other modules may import this file (and only this file). ``SubmissionApproved`` is
raised in the deciding unit of work, so a module that reacts to it in that transaction
(content schedules the post, ``On(..., in_transaction=True)``) commits with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.kernel import Event


@dataclass(frozen=True, slots=True)
class SubmissionCreated(Event):
    """A user's suggestion passed the automatic checks and waits for review."""

    submission_id: int
    author_id: int


@dataclass(frozen=True, slots=True)
class SubmissionAutoRejected(Event):
    """An automatic check refused a suggestion; ``reason`` was told to the author."""

    submission_id: int
    author_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class SubmissionApproved(Event):
    """A moderator approved a suggestion: what is to be posted (the decided text).
    ``in_direct_messages``: suggested in the channel's direct messages, so Telegram
    publishes it (``approveSuggestedPost``) and nobody else should. ``publish_at``: the
    time the moderator chose, or None for the next free slot, slots being
    ``slot_minutes`` apart (``MODERATION__SLOT_MINUTES``)."""

    submission_id: int
    author_id: int
    moderator_id: int
    text: str
    photo: str | None
    video: str | None
    in_direct_messages: bool = False
    publish_at: datetime | None = None
    slot_minutes: int = 60


@dataclass(frozen=True, slots=True)
class SubmissionRejected(Event):
    """A moderator rejected a suggestion (or banned its author)."""

    submission_id: int
    author_id: int
    moderator_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class SubmissionWithdrawn(Event):
    """The author withdrew a pending suggestion."""

    submission_id: int
    author_id: int


@dataclass(frozen=True, slots=True)
class SubmissionScheduled(Event):
    """An approved suggestion became channel post ``post_id``, due at ``publish_at``
    (``post_id`` is None when Telegram publishes it: a direct-messages suggestion)."""

    submission_id: int
    post_id: int | None
    publish_at: datetime


@dataclass(frozen=True, slots=True)
class SubmissionPublished(Event):
    """The post of a suggestion reached the channel as message ``message_id``."""

    submission_id: int
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class SubmissionCancelled(Event):
    """An admin cancelled the scheduled post of an approved suggestion (``/cancelpost``)."""

    submission_id: int
    author_id: int


@dataclass(frozen=True, slots=True)
class AuthorBanned(Event):
    """A moderator banned an author; their pending suggestions were rejected."""

    user_id: int
    moderator_id: int
