"""Facts the broadcast module publishes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.kernel import Event


@dataclass(frozen=True, slots=True)
class AnnouncementsDeclined(Event):
    """A user pressed "No more announcements" under a copy of broadcast ``broadcast_id``:
    no later announcement is for them (the notifications module turns them off)."""

    user_id: int
    broadcast_id: int
