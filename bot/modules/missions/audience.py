"""What an audience can ask about missions: ``streak:7+`` and ``missions:10+``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, func, select

from bot.core.people import N_, Facet, Scope, User, at_least
from bot.modules.missions.models import AssignmentStatus, MissionAssignment, Streak

# A streak is alive while its last mission was done yesterday or today in the user's zone;
# two days back in UTC covers every zone's "yesterday".
ALIVE = timedelta(days=2)


def _streak(least: int, scope: Scope) -> ColumnElement[bool]:
    if least == 0:
        return User.id.is_not(None)
    alive = Streak.last_completed_day >= (scope.now - ALIVE).date()
    return User.id.in_(select(Streak.user_id).where(Streak.current >= least, alive))


def _missions(least: int, scope: Scope) -> ColumnElement[bool]:
    if least == 0:
        return User.id.is_not(None)
    a = MissionAssignment
    done = (
        select(a.user_id)
        .where(a.status == AssignmentStatus.DONE)
        .group_by(a.user_id)
        .having(func.count() >= least)
    )
    return User.id.in_(done)


FACETS = (
    Facet(
        "streak",
        N_("a streak of at least that many days still going, e.g. streak:7+"),
        at_least,
        _streak,
    ),
    Facet(
        "missions",
        N_("at least that many missions done, e.g. missions:10+"),
        at_least,
        _missions,
    ),
)
