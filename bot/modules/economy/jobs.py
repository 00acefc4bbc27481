"""economy.reconcile: stored balances checked against the ledger, never rewritten."""

from __future__ import annotations

from datetime import time

from bot.core.alerts import alert_admins
from bot.core.jobs import DailyAt, JobContext, JobSpec
from bot.core.plural import plural
from bot.modules.economy import service

BATCH = 500
SHOWN = 10


async def reconcile(ctx: JobContext) -> str:
    """Compare every balance with sum(ledger) in keyset batches; alert admins on mismatch.

    Nothing is corrected here: a mismatch means a bug or a manual edit, and a
    person should look at it before history changes.
    """
    services = ctx.services
    checked, after = 0, 0
    found: list[service.Mismatch] = []
    while True:
        async with services.db.session() as session:
            batch, count, last = await service.mismatches_after(session, after, BATCH)
        found += batch
        checked += count
        if last is None:
            break
        after = last
    if found:
        await _report(ctx, found)
    return f"checked {plural(checked, 'balance')}, {plural(len(found), 'mismatch', 'mismatches')}"


async def _report(ctx: JobContext, found: list[service.Mismatch]) -> None:
    services = ctx.services
    day = services.clock.today(services.settings.tz)
    lines = [f"user {m.user_id}: stored {m.stored}, ledger {m.ledger}" for m in found[:SHOWN]]
    more = f"\n… and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    text = (
        f"⚠️ {plural(len(found), 'balance differs', 'balances differ')} from the ledger:\n"
        + "\n".join(lines)
        + more
    )
    async with services.db.session() as session:
        await alert_admins(services, session, f"reconcile:{day.isoformat()}", text)


JOBS = (
    JobSpec(
        "economy.reconcile",
        reconcile,
        DailyAt(time(4, 30)),
        description="check every balance against the ledger; report mismatches",
    ),
)
