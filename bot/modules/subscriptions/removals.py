"""Removals from the VIP chat that only Telegram's word completes: owed, tried, retried.

Someone is owed a removal when their subscription ended, when they appeared in the chat
without one, or when the membership check found an ended subscriber inside. The removal
is done only once Telegram confirms them out: the ban and the unban both answered, or
``getChatMember`` says they left (a ban that stuck is lifted, so they may come back after
subscribing). Anything else (the bot lacks the right to ban, the member was made a chat
administrator, the network) keeps the removal owed: retried with a backoff doubling from
a minute to an hour, and the admins are told once after ``VIP_REMOVAL_ALERT_AFTER``
failures. A removal owed to someone whose subscription runs again is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, ChatMember
from telegram.error import NetworkError, RetryAfter, TelegramError

from bot.core.alerts import alert_admins
from bot.core.context import Services
from bot.core.kernel import dialect_insert, get_logger, redact
from bot.core.people import _
from bot.modules.subscriptions import service
from bot.modules.subscriptions.models import (
    RemovalReason,
    Subscription,
    SubscriptionStatus,
    VipRemoval,
)
from bot.modules.subscriptions.settings import SubscriptionSettings

log = get_logger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
_GONE = frozenset({ChatMember.LEFT, ChatMember.BANNED})
CHECK_PAUSE = 0.05  # seconds between two getChatMember calls of the check: 20 a second


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4 ... minutes, at most an hour."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 16)), LAST_RETRY)


async def attempt(bot: Bot, chat_id: int, user_id: int) -> str | None:
    """Ban, then unban, ``user_id``; None once Telegram confirms them out, else why not."""
    try:
        await bot.ban_chat_member(chat_id, user_id)
        await bot.unban_chat_member(chat_id, user_id, only_if_banned=True)
        return None
    except TelegramError as exc:
        refused = str(exc)
    try:
        member = await bot.get_chat_member(chat_id, user_id)
        inside = _inside(member)
        if not inside and member.status == ChatMember.BANNED:
            await bot.unban_chat_member(chat_id, user_id, only_if_banned=True)
    except TelegramError as exc:
        return f"{refused}; and then: {exc}"[:300]
    return refused[:300] if inside else None


async def owe(session: AsyncSession, user_id: int, reason: RemovalReason, now: datetime) -> None:
    """Record a removal owed to ``user_id``, due now (one already owed keeps its count)."""
    insert = dialect_insert(session, VipRemoval).values(
        user_id=user_id, reason=reason, attempts=0, due_at=now, created_at=now
    )
    await session.execute(insert.on_conflict_do_nothing(index_elements=["user_id"]))


async def owe_ended(session: AsyncSession, now: datetime, limit: int) -> int:
    """Owe a removal to each ended subscriber not confirmed out and not owed one yet."""
    owed = select(VipRemoval.user_id)
    query = (
        select(Subscription.user_id)
        .where(
            Subscription.status != SubscriptionStatus.ACTIVE,
            Subscription.removed_at.is_(None),
            Subscription.user_id.not_in(owed),
        )
        .limit(limit)
    )
    users = (await session.scalars(query)).all()
    for user_id in users:
        await owe(session, user_id, RemovalReason.ENDED, now)
    return len(users)


async def due(session: AsyncSession, now: datetime, limit: int) -> Sequence[VipRemoval]:
    query = (
        select(VipRemoval).where(VipRemoval.due_at <= now).order_by(VipRemoval.due_at).limit(limit)
    )
    return (await session.scalars(query)).all()


@dataclass(frozen=True, slots=True)
class Owed:
    """One owed removal as read before trying it."""

    user_id: int
    reason: str
    created_at: datetime


async def remove_due(services: Services, bot: Bot, limit: int = 500) -> int:
    """Owe the newly ended their removal, then try every removal due; how many Telegram
    confirmed out."""
    if services.settings.vip_chat_id is None:
        return 0
    async with services.db.session() as session:
        now = services.clock.now()
        await owe_ended(session, now, limit)
        rows = [Owed(r.user_id, r.reason, r.created_at) for r in await due(session, now, limit)]
    removed = 0
    for owed in rows:
        removed += await _settle(services, bot, owed)
    return removed


async def remove_now(services: Services, bot: Bot, user_id: int, reason: RemovalReason) -> bool:
    """Owe ``user_id`` a removal and try it at once (whatever its retry time); True if
    Telegram confirmed them out."""
    async with services.db.session() as session:
        await owe(session, user_id, reason, services.clock.now())
        row = await session.scalar(select(VipRemoval).where(VipRemoval.user_id == user_id))
        assert row is not None  # owed just now or before
        owed = Owed(row.user_id, row.reason, row.created_at)
    return await _settle(services, bot, owed)


async def check_ended(services: Services, bot: Bot, limit: int) -> tuple[int, int]:
    """Ask Telegram about up to ``limit`` ended subscribers confirmed out before, least
    recently checked first, one call every ``CHECK_PAUSE`` seconds; owe a removal to those
    inside. (checked, found inside); a 429 or a network error ends the batch early."""
    chat_id = services.settings.vip_chat_id
    if chat_id is None:
        return 0, 0
    async with services.db.session() as session:
        users = await service.to_check(session, limit)
    checked: list[int] = []
    found = 0
    for user_id in users:
        if services.settings.is_admin(user_id) or user_id == bot.id:
            checked.append(user_id)  # they may stay: nothing to ask
            continue
        if checked:
            await asyncio.sleep(CHECK_PAUSE)
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except (RetryAfter, NetworkError) as exc:
            log.warning("VIP membership check stopped; the next run goes on", error=str(exc))
            break
        except TelegramError as exc:  # e.g. a user Telegram no longer knows: not inside
            log.info("VIP membership not readable", user_id=user_id, error=str(exc))
            member = None
        checked.append(user_id)
        if member is not None and _inside(member):
            found += 1
            async with services.db.session() as session:
                await owe(session, user_id, RemovalReason.STILL_IN, services.clock.now())
            log.warning("ended subscriber found in the VIP chat", user_id=user_id)
    if checked:
        async with services.db.session() as session:
            await service.mark_checked(session, checked, services.clock.now())
    return len(checked), found


def _inside(member: ChatMember) -> bool:
    return member.status not in _GONE and bool(getattr(member, "is_member", True))


async def _settle(services: Services, bot: Bot, owed: Owed) -> bool:
    chat_id = services.settings.vip_chat_id
    if chat_id is None:
        return False
    if await _exempt(services, bot, owed.user_id):  # nothing owed: closed, not re-owed
        async with services.db.session() as session:
            await _drop(session, owed.user_id)
            await service.mark_removed(session, owed.user_id, services.clock.now())
        return False
    error = await attempt(bot, chat_id, owed.user_id)
    now = services.clock.now()
    async with services.db.session() as session:
        if error is None:
            await _drop(session, owed.user_id)
            await service.mark_removed(session, owed.user_id, now)
            log.info("removed from the VIP chat", user_id=owed.user_id, reason=owed.reason)
            return True
        attempts = await _failed(session, owed.user_id, error, now)
        log.warning("VIP removal refused; will retry", user_id=owed.user_id, error=error)
        alert_after = services.settings.of(SubscriptionSettings).vip_removal_alert_after
        if attempts == alert_after:
            await _alert(services, session, owed, attempts, error)
    return False


async def _exempt(services: Services, bot: Bot, user_id: int) -> bool:
    """The bot's admins, the bot itself, and anyone whose subscription runs stay."""
    if services.settings.is_admin(user_id) or user_id == bot.id:
        return True
    async with services.db.session() as session:
        sub = await service.get(session, user_id)
    return service.is_active(sub, services.clock.now())


async def _drop(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(VipRemoval).where(VipRemoval.user_id == user_id))


async def _failed(session: AsyncSession, user_id: int, error: str, now: datetime) -> int:
    """Count one more failure and set the next try; the attempts so far."""
    row = await session.scalar(select(VipRemoval).where(VipRemoval.user_id == user_id))
    if row is None:  # dropped meanwhile (a grant, a concurrent success)
        return 0
    attempts = row.attempts + 1
    await session.execute(
        update(VipRemoval)
        .where(VipRemoval.id == row.id, VipRemoval.attempts == row.attempts)
        .values(attempts=attempts, due_at=now + backoff(attempts), last_error=redact(error))
    )
    return attempts


async def _alert(
    services: Services, session: AsyncSession, owed: Owed, attempts: int, error: str
) -> None:
    log.error("VIP removal keeps failing", user_id=owed.user_id, attempts=attempts, error=error)

    def text() -> str:
        if owed.reason == RemovalReason.INTRUDER:
            head = _("User {user} joined the VIP chat without a subscription")
        else:
            head = _("User {user} is in the VIP chat though their subscription ended")
        tail = _(
            "removal failed {count} times ({error}); the bot keeps trying, at most an hour "
            "apart. Give the bot the right to ban members (and demote them if they are a "
            "chat administrator), or remove them by hand."
        )
        return f"{head.format(user=owed.user_id)}: {tail.format(count=attempts, error=error)}"

    key = f"vip-removal:{owed.user_id}:{owed.created_at.isoformat()}"
    await alert_admins(services, session, key, text)
