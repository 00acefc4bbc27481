"""Periodic work of moderation: the digest of what waits too long, the backlog alert."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.core.alerts import alert_admins
from bot.core.delivery import Category, Priority
from bot.core.jobs import Every, JobContext, JobSpec
from bot.core.plural import plural
from bot.modules.moderation.cards import local, reviewers
from bot.modules.moderation.models import State, Submission

DIGEST_LINES = 20


async def sla_digest(ctx: JobContext) -> str:
    """Tell the reviewers which submissions wait longer than MODERATION__SLA_MINUTES, and
    alert the admins (once a day) when the backlog reaches MODERATION__BACKLOG_ALERT."""
    services, rules = ctx.services, ctx.services.settings.moderation
    now = services.clock.now()
    late_since = now - timedelta(minutes=rules.sla_minutes)
    async with services.db.session() as session:
        backlog = int(
            await session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.state == State.PENDING)
            )
            or 0
        )
        late = list(
            await session.scalars(
                select(Submission)
                .where(Submission.state == State.PENDING, Submission.created_at <= late_since)
                .order_by(Submission.created_at, Submission.id)
            )
        )
        if late:
            lines = [
                f"{plural(len(late), 'suggestion')} waiting longer than {rules.sla_minutes} min:"
            ]
            lines += [f"#{s.id} since {local(services, s.created_at)}" for s in late[:DIGEST_LINES]]
            lines.append("/modqueue lists them.")
            for chat_id in reviewers(services):
                await services.outbox.enqueue(
                    session, key=f"moderation:sla:{ctx.scheduled_for.isoformat()}:{chat_id}",
                    chat_id=chat_id, category=Category.ALERT, priority=Priority.NOTIFICATION,
                    text="\n".join(lines),
                )  # fmt: skip
        if backlog >= rules.backlog_alert:
            day = now.astimezone(services.settings.tz).date().isoformat()
            waiting = plural(backlog, "suggestion")
            text = f"Moderation backlog: {waiting} waiting for review (/modqueue)."
            await alert_admins(services, session, f"moderation-backlog:{day}", text)
    return f"{len(late)} late of {backlog} pending"


JOBS = (
    JobSpec(
        "moderation.sla_digest",
        sla_digest,
        Every(900),
        description="tell moderators what waits longer than MODERATION__SLA_MINUTES",
        timeout=60.0,
        catchup=0.0,
    ),
)
