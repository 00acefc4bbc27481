"""The sandbox's fault knobs behave as the fault tests expect."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from bot.sandbox import SandboxServer


async def test_dropped_connection_gets_no_answer(sandbox: SandboxServer) -> None:
    """With ``drop_rate=1`` a counted call's connection is cut: the client sees an error."""
    sandbox.world.chat(5, "private", "U5")
    sandbox.drop_rate = 1.0
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.TransportError):
            await client.post(f"{sandbox.base_url}T/sendMessage", data={"chat_id": 5, "text": "x"})
    assert sandbox.stats["dropped"] == 1
    assert not sandbox.world.to(5)


async def test_delay_holds_counted_calls_only(sandbox: SandboxServer) -> None:
    """``delay`` slows sends (by at least that long); ``getMe`` (not counted) is answered
    while a send is still held (an order, not a time limit)."""
    sandbox.delay = 60.0
    async with httpx.AsyncClient(timeout=90) as client:
        held = asyncio.create_task(
            client.post(f"{sandbox.base_url}T/sendMessage", data={"chat_id": 1, "text": "x"})
        )
        await sandbox.world.wait_until(lambda: sandbox.stats["sendMessage"] >= 1, 30)
        await asyncio.wait_for(client.post(f"{sandbox.base_url}T/getMe"), 30)  # a hang guard
        assert not held.done()
        held.cancel()
        await asyncio.gather(held, return_exceptions=True)
        sandbox.delay = 0.3
        started = time.monotonic()
        await client.post(f"{sandbox.base_url}T/sendMessage", data={"chat_id": 1, "text": "x"})
        assert time.monotonic() - started >= 0.3


async def test_second_long_poll_ends_the_first_with_409(sandbox: SandboxServer) -> None:
    """As Telegram does: a newer getUpdates terminates the open one (409 Conflict)."""
    async with httpx.AsyncClient(timeout=10) as client:
        url = f"{sandbox.base_url}T/getUpdates"
        first = asyncio.create_task(client.post(url, data={"timeout": 5}))
        await asyncio.sleep(0.3)
        second = asyncio.create_task(client.post(url, data={"timeout": 1}))
        answer = await first
        assert answer.status_code == 409 and "Conflict" in answer.json()["description"]
        assert (await second).status_code == 200
