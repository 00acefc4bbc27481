"""Notification preferences and the delivery policy built on them.

The policy is installed as ``services.outbox.policy``: every bulk message to a user
asks it whether (their toggles) and when (their quiet hours) it may go out, once when
it is queued and again, a batch at a time, when the sender is about to send it (so
/broadcast's ``INSERT ... SELECT`` and preferences changed meanwhile are honoured).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import Candidate, Category, Decision, DeliveryPolicy, optional
from bot.core.kernel import get_or_insert
from bot.core.people import N_, User, zone_of
from bot.modules.broadcast.events import AnnouncementsDeclined
from bot.modules.notifications.models import NotificationPrefs

# Optional message category -> the preference that mutes it (transactional ones,
# `bot/core/delivery/categories.py`, are never muted nor held).
TOGGLES: dict[str, str] = {
    Category.MISSION: "missions",
    Category.REMINDER: "reminders",
    Category.ANNOUNCEMENT: "announcements",
}
LABELS = {
    "missions": N_("Daily mission"),
    "reminders": N_("Reminders"),
    "announcements": N_("Announcements"),
}
_DEFAULTS = dict.fromkeys(LABELS, True)  # a user who never changed them gets everything
_QUIET = re.compile(r"([0-9]{1,2})-([0-9]{1,2})")  # ASCII digits: int('²') raises


class QuietHoursError(ValueError):
    """A quiet-hours argument that is not ``HH-HH``."""


def parse_quiet(text: str) -> tuple[int, int] | None:
    """``22-08`` -> (22, 8); ``off`` -> None; anything else raises :class:`QuietHoursError`."""
    text = text.strip().lower()
    if text == "off":
        return None
    match = _QUIET.fullmatch(text)
    if match is None:
        raise QuietHoursError(text)
    start, end = int(match.group(1)), int(match.group(2))
    if start > 23 or end > 23 or start == end:
        raise QuietHoursError(text)
    return start, end


def in_window(hour: int, start: int, end: int) -> bool:
    """Whether a local hour falls in ``[start, end)``; windows may wrap midnight."""
    return start <= hour < end if start < end else hour >= start or hour < end


def window_end(now: datetime, start: int, end: int, tz: tzinfo) -> datetime | None:
    """The end of the quiet window ``now`` is in (aware UTC), or None outside it."""
    local = now.astimezone(tz)
    if not in_window(local.hour, start, end):
        return None
    end_at = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if end_at <= local:
        end_at = (local + timedelta(days=1)).replace(hour=end, minute=0, second=0, microsecond=0)
    return end_at.astimezone(now.tzinfo)


async def get(session: AsyncSession, user_id: int) -> NotificationPrefs:
    """The user's preferences (a default, unsaved row for a user who never changed them)."""
    prefs = await session.get(NotificationPrefs, user_id)
    return prefs if prefs is not None else NotificationPrefs(user_id=user_id, **_DEFAULTS)


async def _ensure_stored(session: AsyncSession, user_id: int) -> NotificationPrefs:
    """The user's stored row, created with the defaults if missing (by one statement, so
    two updates of one user at once cannot both insert it)."""
    return await get_or_insert(session, NotificationPrefs, user_id=user_id, **_DEFAULTS)


async def toggle(session: AsyncSession, user_id: int, field: str) -> NotificationPrefs:
    """Flip one of the toggles in :data:`LABELS`; ValueError for any other name."""
    if field not in LABELS:
        raise ValueError(field)
    prefs = await _ensure_stored(session, user_id)
    setattr(prefs, field, not getattr(prefs, field))
    await session.flush()
    return prefs


async def decline_announcements(event: AnnouncementsDeclined, session: AsyncSession) -> None:
    """ "No more announcements" pressed under a broadcast: off at once, in the press's own
    transaction (so the broadcast's count of opt-outs and the switch agree)."""
    prefs = await _ensure_stored(session, event.user_id)
    prefs.announcements = False
    await session.flush()


async def set_quiet(session: AsyncSession, user_id: int, window: tuple[int, int] | None) -> None:
    prefs = await _ensure_stored(session, user_id)
    prefs.quiet_start, prefs.quiet_end = window if window else (None, None)
    await session.flush()


class PreferencesPolicy(DeliveryPolicy):
    """Mutes optional categories the user turned off and holds the others until their quiet
    hours end, read in the user's own zone (``TIMEZONE`` if they chose none);
    transactional messages are never asked about."""

    __slots__ = ("tz",)

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    async def decide(
        self, session: AsyncSession, *, user_id: int, category: str, now: datetime
    ) -> Decision:
        if not optional(category):
            return Decision(send=True)
        query = self._prefs([user_id])
        found = (await session.execute(query)).first()
        if found is None:
            return Decision(send=True)
        return self._judge(found[0], found[1], category, now)

    async def review(
        self, session: AsyncSession, rows: Sequence[Candidate], now: datetime
    ) -> dict[int, Decision]:
        """At send time, with one query for the whole batch: rows to mute or hold."""
        asked = [row for row in rows if optional(row.category)]
        if not asked:
            return {}
        query = self._prefs({row.user_id for row in asked})
        prefs = {p.user_id: (p, zone) for p, zone in (await session.execute(query)).all()}
        decisions = {}
        for row in asked:
            found = prefs.get(row.user_id)
            if found is None:
                continue
            decision = self._judge(found[0], found[1], row.category, now)
            if not decision.send or decision.not_before is not None:
                decisions[row.row_id] = decision
        return decisions

    @staticmethod
    def _prefs(user_ids: Sequence[int] | set[int]) -> Any:
        """The users' preferences with the zone they chose (None: ``TIMEZONE``)."""
        return (
            select(NotificationPrefs, User.timezone)
            .outerjoin(User, User.id == NotificationPrefs.user_id)
            .where(NotificationPrefs.user_id.in_(user_ids))
        )

    def _judge(
        self, prefs: NotificationPrefs, zone: str | None, category: str, now: datetime
    ) -> Decision:
        toggle_name = TOGGLES.get(category)
        if toggle_name is not None and not getattr(prefs, toggle_name):
            return Decision(send=False)
        if prefs.quiet_start is None or prefs.quiet_end is None:
            return Decision(send=True)
        tz = zone_of(zone, self.tz)
        return Decision(True, window_end(now, prefs.quiet_start, prefs.quiet_end, tz))
