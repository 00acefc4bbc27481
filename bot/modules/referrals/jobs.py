"""referrals.process: pay the rewards a stopped process left recorded but unpaid."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.jobs import Every, JobContext, JobSpec
from bot.core.people import ngettext, translatable
from bot.modules.referrals import service

BATCH = 200


async def process(ctx: JobContext[Services]) -> str:
    """Sweep unpaid reward rows in keyset batches; each is paid at most once."""
    services = ctx.services
    paid, after = 0, 0
    while True:
        async with services.uow() as uow:
            due = await service.unpaid_after(uow.session, after, BATCH)
            for _reward_id, invitee_id in due:
                paid += await service.pay(uow, services, invitee_id)
        if len(due) < BATCH:
            break
        after = due[-1][0]
    return translatable(
        lambda: ngettext(
            "paid {count} overdue referral reward", "paid {count} overdue referral rewards", paid
        ).format(count=paid)
    )


JOBS = (
    JobSpec(
        "referrals.process",
        process,
        Every.minutes(60),
        description="pay referral rewards that are due but unpaid",
    ),
)
