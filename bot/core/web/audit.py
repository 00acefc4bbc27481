"""The console's audit log: who did what, to what, when, and how it ended."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import insert, select

from bot.core.kernel import Database, Purger, PurgeRequest, delete_in_batches, redact
from bot.core.people import User
from bot.core.web.models import ConsoleAudit

KEEP = timedelta(days=90)  # the default of RETENTION__AUDIT_DAYS
DETAIL_MAX, TARGET_MAX, LIST_MAX = 300, 200, 200
Result = Literal["ok", "refused", "error"]


def short(text: str | None, limit: int) -> str | None:
    """``text`` redacted and cut to ``limit`` characters (with an ellipsis)."""
    if not text:
        return None
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def record(
    db: Database,
    *,
    at: datetime,
    user_id: int,
    action: str,
    target: str | None,
    result: Result,
    detail: str | None = None,
) -> None:
    """One line of the audit log (the detail redacted and short)."""
    row = {
        "at": at,
        "user_id": user_id,
        "action": action[:100],
        "target": short(target, TARGET_MAX),
        "result": result,
        "detail": short(detail, DETAIL_MAX),
    }
    async with db.session() as session:
        await session.execute(insert(ConsoleAudit).values(row))


async def entries(
    db: Database,
    *,
    limit: int,
    user_id: int | None = None,
    before: int | None = None,
    action: str | None = None,
) -> list[dict[str, Any]]:
    """The newest ``limit`` lines, newest first: of one user's actions with ``user_id``,
    older than line ``before`` with it (the next page), of one ``action`` with it. Each
    with ``name``, the first name the bot knows its user by (None if it knows none)."""
    query = select(ConsoleAudit).order_by(ConsoleAudit.id.desc()).limit(min(limit, LIST_MAX))
    if user_id is not None:
        query = query.where(ConsoleAudit.user_id == user_id)
    if before is not None:
        query = query.where(ConsoleAudit.id < before)
    if action is not None:
        query = query.where(ConsoleAudit.action == action)
    async with db.session() as session:
        rows = (await session.execute(query)).scalars().all()
        names: dict[int, str] = {}
        if rows:
            ids = {row.user_id for row in rows}
            known = select(User.id, User.first_name).where(User.id.in_(ids))
            names = {user: name for user, name in (await session.execute(known)).all()}
    return [
        {
            "id": row.id,
            "at": row.at.isoformat(),
            "user_id": row.user_id,
            "name": names.get(row.user_id) or None,
            "action": row.action,
            "target": row.target,
            "result": row.result,
            "detail": row.detail,
        }
        for row in rows
    ]


def audit_purger(kept: timedelta = KEEP) -> Purger:
    """``cleanup.daily``'s purger of the audit lines older than ``kept``
    (``RETENTION__AUDIT_DAYS``)."""

    async def purge(request: PurgeRequest) -> int:
        return await purge_audit(request, kept)

    return purge


async def purge_audit(request: PurgeRequest, kept: timedelta = KEEP) -> int:
    """Audit lines older than ``kept`` (90 days by default)."""
    purged = await delete_in_batches(
        request.db,
        ConsoleAudit.id,
        ConsoleAudit.at <= request.now - kept,
        batch_size=request.batch_size,
    )
    return purged.rows
