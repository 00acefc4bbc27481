"""The minute-by-minute health check."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.jobs import Every, JobContext, JobSpec, RetryPolicy
from bot.core.people import _, translatable
from bot.modules.monitoring import service
from bot.modules.monitoring.jobchecks import check_missed_slots, check_stuck_jobs

CHECKS: list[service.Check] = [
    check_stuck_jobs,
    check_missed_slots,
    service.check_outbox,
    service.check_errors,
]


async def health(ctx: JobContext[Services]) -> str:
    """Run every check and update the incidents."""
    findings, opened, cleared = await service.run_checks(ctx.services, CHECKS)
    if not findings:
        if cleared:
            return translatable(lambda: _("healthy, {cleared} cleared").format(cleared=cleared))
        return translatable(lambda: _("healthy"))
    keys = ", ".join(findings)
    return translatable(
        lambda: _("{count} problems ({opened} new, {cleared} cleared): {keys}").format(
            count=len(findings), opened=opened, cleared=cleared, keys=keys
        )
    )


SPECS = (
    JobSpec(
        "monitoring.health",
        health,
        Every.minutes(1),
        description="alert admins about stuck jobs, missed runs, a stalled outbox, 429/5xx",
        timeout=50,
        retry=RetryPolicy(attempts=1),
        catchup=0,
    ),
)
