"""What broadcasts hold about a person: the buttons they pressed and the broadcasts they
opted out of (kept under the stand-in when they are forgotten, so a campaign's figures stay
whole), and for an admin the broadcasts they wrote, edited or paid for (kept likewise)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, tuple_

from bot.core.kernel import Purger, PurgeRequest, Settings, rowcount
from bot.core.people import Holding, Rule
from bot.modules.broadcast.models import BroadcastClick, BroadcastOptOut

HOLDING = Holding(
    "broadcast",
    rules=(
        Rule("broadcast_clicks.user_id", label="campaign_clicks"),
        Rule("broadcast_optouts.user_id", label="campaign_opt_outs"),
        Rule("broadcasts.created_by", shown=("id", "created_at"), label="broadcasts_sent"),
        Rule("broadcast_drafts.created_by", shown=("id", "created_at"), label="drafts"),
        Rule("broadcast_edits.created_by", shown=("broadcast_id", "version", "created_at")),
        Rule("broadcast_paid.confirmed_by", shown=("broadcast_id", "created_at")),
    ),
)


async def purge_measures(request: PurgeRequest, days: int) -> int:
    """Clicks and opt-outs recorded more than ``days`` days ago (``RETENTION__CAMPAIGN_DAYS``)."""
    before = request.now - timedelta(days=days)
    removed = 0
    for model in (BroadcastClick, BroadcastOptOut):
        while True:
            chosen = select(model.broadcast_id, model.user_id).where(model.created_at < before)
            batch = chosen.limit(request.batch_size)
            key = tuple_(model.broadcast_id, model.user_id)
            async with request.db.session() as session:
                result = await session.execute(
                    delete(model).where(key.in_(batch), model.created_at < before)
                )
            count = rowcount(result)
            removed += count
            if count < request.batch_size:
                break
    return removed


def purger(settings: Settings) -> Purger:
    """The purger of ``cleanup.daily``, with the period as configured."""

    async def purge(request: PurgeRequest) -> int:
        return await purge_measures(request, settings.retention.campaign_days)

    return purge
