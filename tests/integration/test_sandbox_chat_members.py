"""The sandbox answers bans, unbans and membership questions as Telegram does, including
its refusals (the bot without the right to restrict, an administrator as the target)."""

from __future__ import annotations

from typing import Any

import httpx

from bot.sandbox import SandboxServer

GROUP, USER, OTHER = -1_009, 501, 502


async def _call(sandbox: SandboxServer, method: str, **params: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{sandbox.base_url}T/{method}", json=params)
    body: dict[str, Any] = answer.json()
    return body


async def _status(sandbox: SandboxServer, user_id: int) -> str:
    body = await _call(sandbox, "getChatMember", chat_id=GROUP, user_id=user_id)
    status: str = body["result"]["status"]
    return status


async def test_membership_follows_joins_bans_and_unbans(sandbox: SandboxServer) -> None:
    """A member is ``member``; banned, ``kicked``; unbanned (only if banned), ``left``;
    someone never in the chat is ``left``."""
    sandbox.world.chat(GROUP)
    sandbox.world.join_chat(USER, GROUP)
    assert await _status(sandbox, USER) == "member"
    assert await _status(sandbox, OTHER) == "left"
    assert (await _call(sandbox, "banChatMember", chat_id=GROUP, user_id=USER))["ok"]
    assert await _status(sandbox, USER) == "kicked"
    unban = await _call(
        sandbox, "unbanChatMember", chat_id=GROUP, user_id=USER, only_if_banned=True
    )
    assert unban["ok"] and await _status(sandbox, USER) == "left"


async def test_refusals_change_nothing(sandbox: SandboxServer) -> None:
    """Without the right to restrict, or against a chat administrator, a ban is answered
    400 with Telegram's words and the member stays."""
    chat = sandbox.world.chat(GROUP)
    sandbox.world.join_chat(USER, GROUP)
    chat.bot_admin = False
    refused = await _call(sandbox, "banChatMember", chat_id=GROUP, user_id=USER)
    assert refused["error_code"] == 400 and "not enough rights" in refused["description"]
    chat.bot_admin = True
    chat.admins.add(USER)
    refused = await _call(sandbox, "banChatMember", chat_id=GROUP, user_id=USER)
    assert refused["error_code"] == 400 and "administrator" in refused["description"]
    assert await _status(sandbox, USER) == "administrator"
    assert sandbox.world.moderation == [] and USER in sandbox.world.members[GROUP]
