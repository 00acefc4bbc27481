"""What an audience can ask about activity: ``seen:7d``, from the days each user was seen.

``users.last_seen_at`` moves only with ``/start``; the days a user used the bot at all are in
``user_days`` (kept ``RETENTION__ACTIVITY_DAYS``, 70 days). A user was seen within a time when
either says so.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select

from bot.core.people import N_, Facet, Scope, User, days
from bot.modules.analytics.models import UserDay


def _seen(within: timedelta, scope: Scope) -> ColumnElement[bool]:
    since = scope.now - within
    first_day = since.astimezone(ZoneInfo(scope.default_zone)).date()  # days are the bot's
    recent = select(UserDay.user_id).where(UserDay.day >= first_day)
    return or_(User.last_seen_at >= since, User.id.in_(recent))


FACETS = (
    Facet(
        "seen",
        N_("used the bot within that time, e.g. seen:7d or seen:12h (-seen:30d: not within)"),
        days,
        _seen,
    ),
)
