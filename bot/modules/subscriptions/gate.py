"""Who gets into the VIP chat: join requests decided, unexpected members removed.

Links are made with ``creates_join_request=True``, so using one only asks to join.
A request is approved when the link was made for the requester, is still live, and
the requester's subscription runs; everyone else is declined (a friend given the
link, a revoked or expired subscriber) and told why. Anyone who appears in the chat some other
way without a running subscription is removed (ban, then unban so they may come
back after subscribing); a removal Telegram refuses stays owed and is retried
(``removals``).
"""

from __future__ import annotations

from telegram import Bot, ChatMember
from telegram.error import TelegramError

from bot.core.context import Services
from bot.core.kernel import get_logger
from bot.modules.subscriptions import declined, links, removals, service
from bot.modules.subscriptions.declined import Refusal
from bot.modules.subscriptions.models import RemovalReason

log = get_logger(__name__)

_IN = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})
_STAFF = frozenset({ChatMember.ADMINISTRATOR, ChatMember.OWNER})


async def may_join(services: Services, user_id: int, link: str | None) -> Refusal | None:
    """None if ``user_id`` asking to join through ``link`` is its subscriber, in time;
    else why not."""
    now = services.clock.now()
    async with services.db.session() as session:
        record = await links.owner(session, link) if link is not None else None
        sub = await service.get(session, user_id)
    if not service.is_active(sub, now):
        return Refusal.NO_SUBSCRIPTION if sub is None else Refusal.ENDED
    return None if links.usable_by(record, user_id, now) else Refusal.NOT_THEIRS


async def decide_join(
    services: Services, bot: Bot, chat_id: int, user_id: int, link: str | None
) -> bool | None:
    """Approve or decline a join request to the VIP chat; True/False as decided, None for
    another chat or when Telegram did not take the answer. A declined requester is told
    why (:mod:`declined`)."""
    if chat_id != services.settings.vip_chat_id:
        return None
    refusal = await may_join(services, user_id, link)
    approve = refusal is None
    try:
        if approve:
            await bot.approve_chat_join_request(chat_id, user_id)
        else:
            await bot.decline_chat_join_request(chat_id, user_id)
    except TelegramError as exc:
        log.warning("join request not answered", user_id=user_id, error=str(exc))
        return None
    log.info("VIP join request", user_id=user_id, approved=approve, refusal=refusal)
    if refusal is not None:
        await declined.tell(services, user_id, refusal)
    return approve


def joined(old: ChatMember, new: ChatMember) -> bool:
    """Whether a chat_member change shows someone arriving as an ordinary member."""

    def inside(member: ChatMember) -> bool:
        return member.status in _IN or bool(getattr(member, "is_member", False))

    return not inside(old) and inside(new) and new.status not in _STAFF


async def check_member(services: Services, bot: Bot, chat_id: int, user_id: int) -> bool:
    """Remove someone who just appeared in the VIP chat without a running subscription
    (the bot's admins stay); True if they were removed."""
    settings = services.settings
    if chat_id != settings.vip_chat_id or settings.is_admin(user_id) or user_id == bot.id:
        return False
    now = services.clock.now()
    async with services.db.session() as session:
        sub = await service.get(session, user_id)
    if service.is_active(sub, now):
        return False
    if await removals.remove_now(services, bot, user_id, RemovalReason.INTRUDER):
        log.warning("removed from the VIP chat: no subscription", user_id=user_id)
        return True
    return False  # owed and retried until Telegram confirms them out
