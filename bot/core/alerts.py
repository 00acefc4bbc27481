"""Messages to the admins (job failures, reconcile mismatches, monitoring incidents).

Alerts go through the outbox in the caller's transaction, in the ``alert``
category (never muted by preferences) and at the highest priority. The key
makes an alert idempotent: the same incident is queued once. A text given as a
callable is written in each admin's own language. An alert often quotes an error: its
text is redacted (no secret reaches a chat).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import Category, Priority
from bot.core.kernel import redact
from bot.core.people import language_of

if TYPE_CHECKING:
    from bot.core.delivery import Posting

# A text as written in the current language: a callable is called in each admin's own.
Text = str | Callable[[], str]


async def alert_admins(posting: Posting, session: AsyncSession, key: str, text: Text) -> int:
    """Queue ``text`` to every admin once per ``key``; how many were queued."""
    return await to_admins(posting, session, f"alert:{key}", Priority.ALERT, text=text)


async def admins_by_language(posting: Posting, session: AsyncSession) -> dict[str, list[int]]:
    """The admins grouped by the language they read (for texts drawn once per language)."""
    groups: dict[str, list[int]] = {}
    for admin_id in posting.settings.admin_ids:
        groups.setdefault(await language_of(session, admin_id), []).append(admin_id)
    return groups


async def to_admins(
    posting: Posting,
    session: AsyncSession,
    key: str,
    priority: int,
    *,
    text: Text | None = None,
    method: str = "sendMessage",
    payload: dict[str, Any] | None = None,
    admin_ids: Iterable[int] | None = None,
) -> int:
    """Queue one message per admin (key ``<key>:<admin_id>``) in the ``alert`` category,
    which preferences never mute; how many were new. ``admin_ids``: only these admins."""

    def clipped() -> str | None:  # called in each admin's language
        written = text() if callable(text) else text
        return redact(written)[:4000] if written is not None else None  # may quote an error

    queued = 0
    for admin_id in posting.settings.admin_ids if admin_ids is None else admin_ids:
        queued += await posting.outbox.enqueue(
            session,
            key=f"{key}:{admin_id}",
            chat_id=admin_id,
            user_id=admin_id,
            category=Category.ALERT,
            priority=priority,
            text=clipped,
            method=method,
            payload=payload,
        )
    return queued
