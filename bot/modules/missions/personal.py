"""What missions hold about a person: the missions they were given, and their streak.

Forgetting drops an open assignment (nobody will complete it) and keeps the others and the
streak under the stand-in, so each day's completions stay counted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, Table

from bot.core.kernel import Purger, PurgeRequest, Settings, delete_in_batches
from bot.core.people import Action, Holding, Rule
from bot.modules.missions.models import AssignmentStatus, MissionAssignment


def _open(table: Table) -> ColumnElement[bool]:
    return table.c.status == AssignmentStatus.OPEN.value


HOLDING = Holding(
    "missions",
    rules=(
        Rule("mission_assignments.user_id", Action.DELETE, only=_open, exported=False),
        Rule("mission_assignments.user_id", label="missions"),
        Rule("streaks.user_id", label="streak"),
    ),
)


async def purge_assignments(request: PurgeRequest, days: int) -> int:
    """Done and missed assignments of the days more than ``days`` days ago
    (``RETENTION__ASSIGNMENTS_DAYS``); an open one is never removed."""
    before = request.now.date() - timedelta(days=days)
    purged = await delete_in_batches(
        request.db,
        MissionAssignment.id,
        MissionAssignment.status != AssignmentStatus.OPEN,
        MissionAssignment.day < before,
        batch_size=request.batch_size,
    )
    return purged.rows


def purger(settings: Settings) -> Purger:
    """The purger of ``cleanup.daily``, with the period as configured."""

    async def purge(request: PurgeRequest) -> int:
        return await purge_assignments(request, settings.retention.assignments_days)

    return purge
