"""Periodic work of subscriptions: reminders before the end, expiry after it."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.jobs import DailyAt, Every, JobContext, JobSpec
from bot.modules.subscriptions import access, service

BATCH = 500


async def remind(ctx: JobContext) -> str:
    """One reminder per threshold (3 days, 1 day) for each subscription's current end."""
    services = ctx.services
    now, tz = services.clock.now(), services.settings.tz
    sent = {"1d": 0, "3d": 0}
    for threshold, window in service.THRESHOLDS:
        async with services.db.session() as session:
            for sub in await service.due_reminders(session, threshold, window, now):
                if not await service.claim_reminder(session, sub, threshold, now):
                    continue
                left = "tomorrow" if threshold == "1d" else "in less than 3 days"
                sent[threshold] += await service.tell(
                    services.outbox, session, category="reminder", user_id=sub.user_id,
                    key=f"subremind:{sub.user_id}:{sub.ends_at.isoformat()}:{threshold}",
                    text=f"Your VIP subscription ends {left}, on "
                    f"{service.local(sub.ends_at, tz)}. Ask an admin to renew it.",
                )  # fmt: skip
    return f"reminded {sent['3d']} (3 days) and {sent['1d']} (1 day)"


async def expire(ctx: JobContext) -> str:
    """End every subscription whose time ran out, then remove ended subscribers from the chat."""
    services = ctx.services
    async with services.db.session() as session:
        due = [(s.id, s.user_id, s.ends_at) for s in await service.due_to_expire(
            session, services.clock.now(), BATCH)]  # fmt: skip
    ended = 0
    for sub_id, user_id, ends_at in due:
        ended += await access.end_subscription(services, sub_id, user_id, ends_at, revoked=False)
    removed = await access.remove_ended(services, ctx.bot)
    return f"expired {ended}, removed {removed} from the VIP chat"


JOBS = (
    JobSpec(
        "subscriptions.remind",
        remind,
        DailyAt(time(10, 0)),
        description="remind subscribers 3 days and 1 day before their subscription ends",
    ),
    JobSpec(
        "subscriptions.expire",
        expire,
        Every(300),
        description="end expired subscriptions and remove them from the VIP chat",
        timeout=120.0,
        catchup=float(timedelta(hours=1).total_seconds()),
    ),
)
