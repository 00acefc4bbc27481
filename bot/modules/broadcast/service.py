"""Queuing a broadcast in one statement per language, and reading its progress from the outbox.

Each recipient's row holds the final text in their language (the header is translated, the
admin's words are not), rendered at queue time: the outbox sends what the row says, and a
statement per language keeps the audience out of Python (see ``benchmarks/i18n.py`` for
what the extra statements cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Select, String, cast, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import Category, OutboxMessage, OutboxStatus, Priority
from bot.core.kernel import rowcount
from bot.core.people import User, _, language_column, languages, percent, speaking
from bot.modules.broadcast.models import Broadcast

BAR_WIDTH = 20


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int
    failed: int
    skipped: int = 0  # muted by preferences, or the user became unreachable meanwhile

    @property
    def finished(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.finished)

    @property
    def done(self) -> bool:
        return self.remaining == 0

    def render(self) -> str:
        ratio = self.finished / self.total if self.total else 1.0
        filled = round(ratio * BAR_WIDTH)
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        head = _("Broadcast finished") if self.done else _("Broadcasting…")
        counts = _("sent {sent} · failed {failed}").format(sent=self.sent, failed=self.failed)
        if self.skipped:
            counts += " · " + _("skipped {skipped}").format(skipped=self.skipped)
        left = _("remaining {remaining} of {total}").format(
            remaining=self.remaining, total=self.total
        )
        return f"{head}\n{bar} {percent(ratio)}\n{counts} · {left}"


def announcement(text: str) -> str:
    """What a recipient reads: the header in their language, then the admin's words."""
    return _("📣 Announcement") + "\n\n" + text


def _prefix(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:"


async def queue_broadcast(
    session: AsyncSession, *, text: str, admin_id: int, now: datetime
) -> Broadcast:
    """Record the broadcast and queue one outbox row per reachable user with one
    ``INSERT ... SELECT`` per language (the audience never passes through Python)."""
    broadcast = Broadcast(text=text, created_by=admin_id, created_at=now, total=0)
    session.add(broadcast)
    await session.flush()
    reads = language_column()
    for language in languages():
        with speaking(language):
            body = announcement(text)
        audience = _audience(broadcast.id, body, now).where(reads == language)
        result = await session.execute(insert(OutboxMessage).from_select(COLUMNS, audience))
        broadcast.total += rowcount(result)
    return broadcast


COLUMNS = [
    "key",
    "chat_id",
    "user_id",
    "category",
    "method",
    "payload",
    "priority",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
]


def _audience(broadcast_id: int, text: str, now: datetime) -> Select[Any]:
    """The rows of every reachable user, with ``text`` (callers narrow it to a language)."""
    o = OutboxMessage
    return select(
        literal(_prefix(broadcast_id)) + cast(User.id, String),
        User.id,
        User.id,
        literal(Category.ANNOUNCEMENT.value),
        literal("sendMessage"),
        literal({"text": text}, JSON),
        literal(Priority.BROADCAST),
        literal(OutboxStatus.PENDING.value),
        literal(0),
        literal(now, o.next_attempt_at.type),
        literal(now, o.created_at.type),
    ).where(User.reachable.is_(True))


async def progress(session: AsyncSession, broadcast: Broadcast) -> Progress:
    """Sent, failed and skipped rows of ``broadcast`` so far (all three are finished;
    rows held for quiet hours stay pending, so remaining)."""
    o = OutboxMessage
    query = (
        select(o.status, func.count())
        .where(o.key.startswith(_prefix(broadcast.id)))
        .group_by(o.status)
    )
    counts: dict[str, int] = {status: n for status, n in (await session.execute(query)).all()}
    return Progress(
        broadcast.total,
        counts.get(OutboxStatus.SENT, 0),
        counts.get(OutboxStatus.FAILED, 0),
        counts.get(OutboxStatus.SKIPPED, 0),
    )
