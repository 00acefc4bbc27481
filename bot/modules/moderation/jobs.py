"""Periodic work of moderation: the digest of what waits too long, the backlog alert."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.core.alerts import alert_admins
from bot.core.context import Services
from bot.core.jobs import Every, JobContext, JobSpec
from bot.core.people import _, ngettext, speaking_to, translatable
from bot.modules.moderation.cards import local, reviewers, to_reviewer
from bot.modules.moderation.models import State, Submission
from bot.modules.moderation.settings import ModerationSettings

DIGEST_LINES = 20


async def sla_digest(ctx: JobContext[Services]) -> str:
    """Tell the reviewers which submissions wait longer than MODERATION__SLA_MINUTES, and
    alert the admins (once a day) when the backlog reaches MODERATION__BACKLOG_ALERT."""
    services, rules = ctx.services, ctx.services.settings.of(ModerationSettings).moderation
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
        for chat_id in reviewers(services) if late else ():
            async with speaking_to(session, chat_id):
                text = _digest(services, late, rules.sla_minutes)
            key = f"moderation:sla:{ctx.scheduled_for.isoformat()}:{chat_id}"
            await to_reviewer(services, session, key, chat_id, text)
        if backlog >= rules.backlog_alert:
            day = now.astimezone(services.settings.tz).date().isoformat()
            await alert_admins(
                services, session, f"moderation-backlog:{day}", lambda: _backlog(backlog)
            )
    return translatable(
        lambda: _("{late} late of {backlog} pending").format(late=len(late), backlog=backlog)
    )


def _digest(services: Services, late: list[Submission], minutes: int) -> str:
    head = ngettext(
        "{count} suggestion waiting longer than {minutes} min:",
        "{count} suggestions waiting longer than {minutes} min:",
        len(late),
    )
    lines = [head.format(count=len(late), minutes=minutes)]
    since = _("#{id} since {since}")
    lines += [
        since.format(id=s.id, since=local(services, s.created_at)) for s in late[:DIGEST_LINES]
    ]
    lines.append(_("/modqueue lists them."))
    return "\n".join(lines)


def _backlog(backlog: int) -> str:
    text = ngettext(
        "Moderation backlog: {count} suggestion waiting for review (/modqueue).",
        "Moderation backlog: {count} suggestions waiting for review (/modqueue).",
        backlog,
    )
    return text.format(count=backlog)


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
