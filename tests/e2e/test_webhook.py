"""Webhook mode: every replica takes updates, Telegram's secret is checked, and an update
delivered twice (a retry, a balancer) is handled once across the replicas."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.core.telegram.intake import SECRET_HEADER
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.servers import free_port

SECRET = "companion-Test_secret-42"


async def _replica(harness_factory: Callable[..., Any]) -> tuple[Harness, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    harness: Harness = await harness_factory(
        webhook_url=url, webhook_secret=SECRET, webhook_port=port, **UNPACED
    )
    return harness, url


def _update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"}
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "text": text,
        "chat": {"id": user_id, "type": "private", "first_name": f"U{user_id}"},
        "from": user,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    }
    return {"update_id": update_id, "message": message}


async def _post(url: str, body: dict[str, Any], secret: str = SECRET) -> int:
    headers = {SECRET_HEADER: secret}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        return r.status


async def test_updates_arrive_by_webhook_without_polling(
    harness_factory: Callable[..., Any],
) -> None:
    """setWebhook at start with the secret; /start typed in Telegram reaches the bot by POST;
    nothing calls getUpdates."""
    harness, url = await _replica(harness_factory)
    sandbox = harness.sandbox
    assert sandbox.webhook is not None and sandbox.webhook.url == url
    assert sandbox.webhook.secret == SECRET
    reply = await harness.reply(70_001, "/start")
    assert reply.startswith("Welcome")
    assert sandbox.stats["getUpdates"] == 0


async def test_update_posted_to_two_replicas_is_handled_once(
    harness_factory: Callable[..., Any],
) -> None:
    """The same update POSTed to both replicas at once: both answer 200, one reply is sent."""
    first, url_a = await _replica(harness_factory)
    second, url_b = await _replica(harness_factory)
    world = first.sandbox.world
    world.user(70_002)
    body = _update(9_000_001, 70_002, "/start")
    statuses = await asyncio.gather(_post(url_a, body), _post(url_b, body), _post(url_a, body))
    assert statuses == [200, 200, 200]
    await world.wait_until(lambda: world.to(70_002), timeout=10)
    for replica in (first, second):  # a second handling would have answered by now
        await replica.idle()
    assert len(world.to(70_002)) == 1


async def test_wrong_secret_is_refused_and_changes_nothing(
    harness_factory: Callable[..., Any],
) -> None:
    """A POST without Telegram's secret gets 403 and is not handled."""
    harness, url = await _replica(harness_factory)
    world = harness.sandbox.world
    world.user(70_003)
    assert await _post(url, _update(9_000_002, 70_003, "/start"), secret="guess") == 403
    assert await _post(url, _update(9_000_003, 70_003, "/start"), secret="") == 403
    await harness.idle()
    assert world.to(70_003) == []
