"""Periodic work of subscriptions: reminders before the end, expiry after it, the check
that ended subscribers stay out of the VIP chat, and the retried grant of Stars payments
that were stored but not granted."""

from __future__ import annotations

import functools
from datetime import datetime, time, timedelta, tzinfo

from bot.core.context import Services
from bot.core.delivery import Category
from bot.core.jobs import DailyAt, Every, JobContext, JobSpec, RetryPolicy
from bot.core.people import _, translatable, zone_for
from bot.modules.subscriptions import access, books, removals, service, settle, star_subscriptions

BATCH = 500
CHECK_BATCH = 200  # getChatMember calls a run of check_members makes, paced


async def remind(ctx: JobContext[Services]) -> str:
    """One reminder per threshold (3 days, 1 day) for each subscription's current end."""
    services = ctx.services
    now = services.clock.now()
    sent = {"1d": 0, "3d": 0}
    for threshold, window in service.THRESHOLDS:
        async with services.db.session() as session:
            for sub in await service.due_reminders(session, threshold, window, now):
                if not await service.claim_reminder(session, sub, threshold, now):
                    continue
                tz = await zone_for(session, sub.user_id, services.settings.tz)
                renews = star_subscriptions.renews(
                    await star_subscriptions.get(session, sub.user_id), sub.ends_at
                )
                sent[threshold] += await service.tell(
                    services.outbox,
                    session,
                    category=Category.REMINDER,
                    user_id=sub.user_id,
                    key=f"subremind:{sub.user_id}:{sub.ends_at.isoformat()}:{threshold}",
                    text=functools.partial(
                        reminder_text, threshold, sub.ends_at, tz, renewing=renews
                    ),
                )
    return translatable(
        lambda: _("reminded {three} (3 days) and {one} (1 day)").format(
            three=sent["3d"], one=sent["1d"]
        )
    )


def reminder_text(threshold: str, ends_at: datetime, tz: tzinfo, *, renewing: bool = False) -> str:
    """The reminder before a subscription ends, in the current language and ``tz`` (the
    subscriber's zone); a renewing subscription's speaks of its renewal."""
    if renewing:
        text = _(
            "Your VIP subscription renews on {ends}: Telegram charges the monthly Stars "
            "then. To stop it, cancel the renewal in /status."
        )
    elif threshold == "1d":
        text = _("Your VIP subscription ends tomorrow, on {ends}. Ask an admin to renew it.")
    else:
        text = _(
            "Your VIP subscription ends in less than 3 days, on {ends}. Ask an admin to renew it."
        )
    return text.format(ends=service.local(ends_at, tz))


async def expire(ctx: JobContext[Services]) -> str:
    """End every subscription whose time ran out, then remove ended subscribers from the chat."""
    services = ctx.services
    async with services.db.session() as session:
        due = [
            (s.id, s.user_id, s.ends_at)
            for s in await service.due_to_expire(session, services.clock.now(), BATCH)
        ]
    ended = 0
    for sub_id, user_id, ends_at in due:
        ended += await access.end_subscription(services, sub_id, user_id, ends_at, revoked=False)
    revoked, removed = await access.close_out(services, ctx.bot)

    def summary() -> str:
        text = _("expired {ended}, removed {removed} from the VIP chat").format(
            ended=ended, removed=removed
        )
        if revoked:
            text += ", " + _("revoked {count} invite links").format(count=revoked)
        return text

    return translatable(summary)


async def check_members(ctx: JobContext[Services]) -> str:
    """Ask Telegram whether ended subscribers are back in the VIP chat (least recently
    checked first, a batch a run), owe a removal to those who are, then try every
    removal due."""
    checked, found = await removals.check_ended(ctx.services, ctx.bot, CHECK_BATCH)
    removed = await removals.remove_due(ctx.services, ctx.bot, BATCH)
    return translatable(
        lambda: _("checked {checked}, {found} still in the VIP chat, removed {removed}").format(
            checked=checked, found=found, removed=removed
        )
    )


async def settle_payments(ctx: JobContext[Services]) -> str:
    """Grant the Stars payments that were stored but not granted (exactly once each);
    the run fails, so the admins hear of it, while any is still not granted."""
    granted, waiting, failures = await settle.settle_waiting(ctx.services, ctx.bot, BATCH)
    summary = _("granted {granted} of {waiting} waiting payments").format(
        granted=granted, waiting=waiting
    )
    if failures:
        still = _("still waiting: {failures}").format(failures="; ".join(failures))
        raise RuntimeError(f"{summary}; {still}"[:1000])
    return translatable(
        lambda: _("granted {granted} of {waiting} waiting payments").format(
            granted=granted, waiting=waiting
        )
    )


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
    JobSpec(
        "subscriptions.check_members",
        check_members,
        Every(3600),
        description="remove ended subscribers found back in the VIP chat; retry owed removals",
        timeout=300.0,
        catchup=float(timedelta(hours=1).total_seconds()),
    ),
    JobSpec(
        "subscriptions.settle_payments",
        settle_payments,
        Every(60),
        description="grant Stars payments that were stored but could not be granted yet",
        timeout=120.0,
        retry=RetryPolicy(attempts=1),
        catchup=float(timedelta(hours=1).total_seconds()),
    ),
    JobSpec(
        "subscriptions.reconcile_stars",
        books.reconcile_stars,
        DailyAt(time(4, 30)),
        description="compare the Stars charges on record with Telegram's transactions; "
        "store and grant lost payments, alert the admins of differences",
        timeout=600.0,
        catchup=float(timedelta(hours=12).total_seconds()),
    ),
)
