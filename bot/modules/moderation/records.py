"""Figures for /stats and the daily report, and the retention of decided submissions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel import Purger, PurgeRequest, delete_in_batches
from bot.core.people import N_
from bot.modules.moderation.models import FINAL, ReviewCard, State, Submission

DECIDED_BY_PEOPLE = (State.APPROVED, State.REJECTED, State.SCHEDULED, State.PUBLISHED)


FIGURES = {
    "suggestions": N_("Suggestions"),
    "suggestions_approved": N_("Suggestions approved"),
    "suggestions_rejected": N_("Suggestions rejected"),
    "suggestions_auto_rejected": N_("Suggestions refused by the checks"),
    "suggestions_pending": N_("Suggestions waiting for review"),
    "suggestion_median_decision_seconds": N_("Median time to a decision"),
}


async def day_figures(session: AsyncSession, day: date) -> dict[str, int]:
    """Submissions made on ``day`` (UTC) by state, and the median seconds to a decision."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    within = (Submission.created_at >= start, Submission.created_at < start + timedelta(days=1))
    rows = await session.execute(
        select(Submission.state, func.count()).where(*within).group_by(Submission.state)
    )
    by_state = {state: int(count) for state, count in rows.all()}
    decided = await session.execute(
        select(Submission.created_at, Submission.decided_at).where(
            *within, Submission.state.in_(DECIDED_BY_PEOPLE), Submission.decided_at.is_not(None)
        )
    )
    waits = [(done - made).total_seconds() for made, done in decided.all() if done and made]
    approved = sum(by_state.get(s, 0) for s in (State.APPROVED, State.SCHEDULED, State.PUBLISHED))
    return {
        "suggestions": sum(by_state.values()),
        "suggestions_approved": approved,
        "suggestions_rejected": by_state.get(State.REJECTED, 0),
        "suggestions_auto_rejected": by_state.get(State.AUTO_REJECTED, 0),
        "suggestions_pending": by_state.get(State.PENDING, 0),
        "suggestion_median_decision_seconds": int(median(waits)) if waits else 0,
    }


def purger(retention_days: int) -> Purger:
    """Decided submissions older than ``retention_days`` go, with their cards."""

    async def purge(request: PurgeRequest) -> int:
        cutoff = request.now - timedelta(days=retention_days)
        old = select(Submission.id).where(
            Submission.state.in_(FINAL), Submission.decided_at < cutoff
        )
        await delete_in_batches(
            request.db,
            ReviewCard.id,
            ReviewCard.submission_id.in_(old),
            batch_size=request.batch_size,
        )
        purged = await delete_in_batches(
            request.db,
            Submission.id,
            Submission.state.in_(FINAL),
            Submission.decided_at < cutoff,
            batch_size=request.batch_size,
        )
        return purged.rows

    return purge
