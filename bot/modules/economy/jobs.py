"""economy.reconcile: stored balances checked against the ledger, never rewritten."""

from __future__ import annotations

from datetime import time

from bot.core.alerts import alert_admins
from bot.core.context import Services
from bot.core.jobs import DailyAt, Every, JobContext, JobSpec
from bot.core.people import _, ngettext, translatable
from bot.modules.economy import service
from bot.modules.economy.gifts import Gifts

BATCH = 500
SHOWN = 10


async def reconcile(ctx: JobContext[Services]) -> str:
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

    def summary() -> str:
        balances = ngettext("{count} balance", "{count} balances", checked).format(count=checked)
        mismatches = ngettext("{count} mismatch", "{count} mismatches", len(found))
        return _("checked {balances}, {mismatches}").format(
            balances=balances, mismatches=mismatches.format(count=len(found))
        )

    return translatable(summary)


async def _report(ctx: JobContext[Services], found: list[service.Mismatch]) -> None:
    services = ctx.services
    day = services.clock.today(services.settings.tz)
    async with services.db.session() as session:
        await alert_admins(
            services, session, f"reconcile:{day.isoformat()}", lambda: _mismatches(found)
        )


def _mismatches(found: list[service.Mismatch]) -> str:
    head = ngettext(
        "⚠️ {count} balance differs from the ledger:",
        "⚠️ {count} balances differ from the ledger:",
        len(found),
    ).format(count=len(found))
    line = _("user {user}: stored {stored}, ledger {ledger}")
    lines = [line.format(user=m.user_id, stored=m.stored, ledger=m.ledger) for m in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(_("… and {count} more").format(count=len(found) - SHOWN))
    return "\n".join([head, *lines])


async def send_gifts(ctx: JobContext[Services]) -> str:
    """Send the streak gifts still pending: claims a failed call released, or whose
    completion's process stopped before sending."""
    sent = await Gifts(ctx.services).deliver()
    return ngettext("{count} gift sent", "{count} gifts sent", sent).format(count=sent)


JOBS = (
    JobSpec(
        "economy.reconcile",
        reconcile,
        DailyAt(time(4, 30)),
        description="check every balance against the ledger; report mismatches",
    ),
    JobSpec(
        "economy.send_gifts",
        send_gifts,
        Every(900),
        description="send the streak gifts whose sending failed or was interrupted",
    ),
)
