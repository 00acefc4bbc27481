"""Webhook mode: every replica takes updates, Telegram's secret is checked, and an update
delivered twice (a retry, a balancer) is handled once across the replicas."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from bot.core.telegram.intake import SECRET_HEADER
from tests.e2e.conftest import UNPACED, Harness
from tests.helpers.processes import cli
from tests.helpers.servers import free_port

SECRET = "companion-Test_secret-42-0123456789abcdef"


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


async def test_guessing_peer_is_throttled_while_telegram_is_not(
    harness_factory: Callable[..., Any],
) -> None:
    """Five wrong secrets from one address (behind the local proxy), then that address is
    answered 429 without a look at its secret, even the right one; Telegram's own calls
    (the sandbox delivering a user's /start) go on being taken."""
    harness, url = await _replica(harness_factory)
    world = harness.sandbox.world
    world.user(70_004)
    forwarded = {"X-Forwarded-For": "203.0.113.7"}

    async def attempt(secret: str, update_id: int) -> int:
        headers = {SECRET_HEADER: secret, **forwarded}
        body = _update(update_id, 70_004, "/start")
        async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
            return r.status

    statuses = [await attempt(f"guess-{n}", 9_000_010 + n) for n in range(6)]
    assert statuses == [403] * 5 + [429]
    assert await attempt(SECRET, 9_000_020) == 429  # the right secret is not even looked at
    await harness.idle()
    assert world.to(70_004) == []
    reply = await harness.reply(70_005, "/start")  # Telegram, from another address
    assert reply.startswith("Welcome")


async def test_check_refuses_a_short_secret_and_says_how_to_make_one(tmp_path: Path) -> None:
    """`check` with a 12-character WEBHOOK_SECRET: exit 2, the rule, the command that makes a
    good one, and not the secret itself."""
    code, _out, err = await cli(
        tmp_path,
        "check",
        BOT_TOKEN="123456789:AAE-secret-value-of-35-characters__",
        WEBHOOK_URL="https://bot.example.org/telegram",
        WEBHOOK_SECRET="hunter2-abcd",
    )
    assert code == 2 and "Traceback" not in err
    assert "WEBHOOK_SECRET: 12 characters is too short" in err, err
    assert "at least 32" in err and "openssl rand -hex 32" in err
    assert "hunter2-abcd" not in err
