"""The missions' steps of the engagement funnel: a first mission completed, a 7-day streak."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from bot.core.people import N_
from bot.core.stats import FunnelStep
from bot.modules.missions.models import AssignmentStatus, MissionAssignment, Streak

STREAK_DAYS = 7


def completed_a_mission(at: datetime) -> Select[int]:
    """Users who had completed at least one mission by ``at``."""
    a = MissionAssignment
    return select(a.user_id).where(a.status == AssignmentStatus.DONE, a.completed_at < at)


def held_a_streak(at: datetime) -> Select[int]:
    """Users whose best streak reached :data:`STREAK_DAYS` days. The best streak keeps no
    date, so a day rolled up late counts the best streaks as they are now."""
    return select(Streak.user_id).where(Streak.best >= STREAK_DAYS)


FUNNEL = (
    FunnelStep("mission", N_("first mission"), 10, completed_a_mission),
    FunnelStep("streak", N_("7-day streak"), 20, held_a_streak),
)
