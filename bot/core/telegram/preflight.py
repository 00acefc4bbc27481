"""``python -m bot check``: the offline checks beyond settings, and ``--online`` with getMe.

Offline: the token's shape (when talking to Telegram itself). Online: the token works
(``getMe``), and the bot is an administrator with the rights it needs in ``CHANNEL_ID``
(post messages) and ``VIP_CHAT_ID`` (invite and remove users). Nothing here prints the token.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import ChatMemberAdministrator, ChatMemberOwner
from telegram.error import InvalidToken, TelegramError

from bot.core.kernel import DEFAULT_API_BASE_URL, Settings

TOKEN_SHAPE = re.compile(r"[0-9]{5,16}:[A-Za-z0-9_-]{35}")
NEEDS = {
    "CHANNEL_ID": ("can_post_messages",),
    "VIP_CHAT_ID": ("can_invite_users", "can_restrict_members"),
}


def token_problems(settings: Settings) -> list[str]:
    """A token that cannot be one @BotFather gave (only checked against Telegram itself)."""
    token = settings.token()
    if token is None or settings.telegram_api_base_url != DEFAULT_API_BASE_URL:
        return []
    if TOKEN_SHAPE.fullmatch(token):
        return []
    return ["BOT_TOKEN: not a bot token (expected <bot id>:<35 letters, digits, _ or ->)"]


async def online_report(bot: Any, settings: Settings) -> tuple[list[str], list[str]]:
    """(what works, what does not) from asking the Bot API."""
    good: list[str] = []
    try:
        me = await bot.get_me()
    except InvalidToken:
        return good, ["BOT_TOKEN: rejected by the Bot API (revoked, or mistyped)"]
    except TelegramError as exc:
        return good, [f"Bot API at {settings.telegram_api_base_url}: {exc.message}"]
    good.append(f"token works: @{me.username} (id {me.id})")
    bad: list[str] = []
    for setting, chat_id in (
        ("CHANNEL_ID", settings.channel_id),
        ("VIP_CHAT_ID", settings.vip_chat_id),
    ):
        if chat_id is not None:
            line, ok = await _rights(bot, me.id, setting, chat_id)
            (good if ok else bad).append(line)
    return good, bad


async def _rights(bot: Any, bot_id: int, setting: str, chat_id: int) -> tuple[str, bool]:
    try:
        member = await bot.get_chat_member(chat_id, bot_id)
    except TelegramError as exc:
        return f"{setting} {chat_id}: cannot be read ({exc.message})", False
    if isinstance(member, ChatMemberOwner):
        return f"{setting} {chat_id}: the bot owns it", True
    if not isinstance(member, ChatMemberAdministrator):
        return f"{setting} {chat_id}: the bot is {member.status}, not an administrator", False
    missing = [right for right in NEEDS[setting] if not getattr(member, right, False)]
    if missing:
        return f"{setting} {chat_id}: the bot lacks {', '.join(missing)}", False
    return f"{setting} {chat_id}: administrator with {', '.join(NEEDS[setting])}", True
