"""Retention of records about people, enforced by cleanup.daily through the modules'
purgers: campaign clicks and opt-outs after RETENTION__CAMPAIGN_DAYS, finished mission
assignments after RETENTION__ASSIGNMENTS_DAYS (an open one stays), in batches."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.core.context import Services
from bot.modules.broadcast.models import BroadcastClick, BroadcastOptOut
from bot.modules.cleanup import jobs
from bot.modules.missions.models import Mission, MissionAssignment
from tests.conftest import make_settings, upgrade_fresh
from tests.helpers.operations import build, job_context

DAY = timedelta(days=1)


async def _count(services: Services, model: type[object]) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_cleanup_removes_expired_campaign_measures_and_assignments(tmp_path: Path) -> None:
    """Rows past their period go (three clicks and opt-outs in batches of 2, two finished
    assignments); recent ones and an old open assignment stay; the summary counts them."""
    retention = {"campaign_days": 30, "assignments_days": 60, "batch_size": 2}
    settings = make_settings(tmp_path, retention=retention)
    await upgrade_fresh(settings.database_url)
    services, clock, bot = build(settings)
    now = clock.now()
    old, recent = now - 31 * DAY, now - 29 * DAY
    async with services.db.session() as session:
        mission = Mission(title="t", description="d", points=1, kind="text", created_at=now)
        session.add(mission)
        await session.flush()
        session.add_all(
            [
                BroadcastClick(broadcast_id=1, user_id=1, button=0, created_at=old),
                BroadcastClick(broadcast_id=1, user_id=2, button=0, created_at=old),
                BroadcastClick(broadcast_id=1, user_id=3, button=0, created_at=recent),
                BroadcastOptOut(broadcast_id=1, user_id=1, created_at=old),
                BroadcastOptOut(broadcast_id=1, user_id=3, created_at=recent),
            ]
        )
        for user_id, days, status in ((1, 61, "done"), (2, 61, "missed"), (3, 61, "open")):
            session.add(_assignment(mission.id, user_id, now - days * DAY, status))
        session.add(_assignment(mission.id, 4, now - 59 * DAY, "done"))

    summary = await jobs.daily(job_context(services, bot, "cleanup.daily"))

    assert "broadcast.campaign_measures 3" in summary
    assert "missions.assignments 2" in summary
    assert await _count(services, BroadcastClick) == 1
    assert await _count(services, BroadcastOptOut) == 1
    async with services.db.session() as session:
        left = await session.scalars(select(MissionAssignment.user_id).order_by("user_id"))
        assert list(left) == [3, 4]


def _assignment(mission_id: int, user_id: int, at: datetime, status: str) -> MissionAssignment:
    return MissionAssignment(
        user_id=user_id, mission_id=mission_id, day=at.date(), status=status, assigned_at=at
    )
