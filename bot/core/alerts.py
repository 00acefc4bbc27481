"""Messages to the admins (job failures, reconcile mismatches, monitoring incidents).

Alerts go through the outbox in the caller's transaction, in the ``alert``
category (never muted by preferences) and at the highest priority. The key
makes an alert idempotent: the same incident is queued once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import Category, Priority

if TYPE_CHECKING:
    from bot.core.kernel import Kernel


async def alert_admins(services: Kernel, session: AsyncSession, key: str, text: str) -> int:
    """Queue ``text`` to every admin once per ``key``; how many were queued."""
    return await to_admins(services, session, f"alert:{key}", Priority.ALERT, text=text[:4000])


async def to_admins(
    services: Kernel,
    session: AsyncSession,
    key: str,
    priority: int,
    *,
    text: str | None = None,
    method: str = "sendMessage",
    payload: dict[str, Any] | None = None,
) -> int:
    """Queue one message per admin (key ``<key>:<admin_id>``) in the ``alert`` category,
    which preferences never mute; how many were new."""
    queued = 0
    for admin_id in services.settings.admin_ids:
        queued += await services.outbox.enqueue(
            session,
            key=f"{key}:{admin_id}",
            chat_id=admin_id,
            user_id=admin_id,
            category=Category.ALERT,
            priority=priority,
            text=text,
            method=method,
            payload=payload,
        )
    return queued
