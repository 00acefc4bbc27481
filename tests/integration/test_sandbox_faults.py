"""The sandbox's fault knobs behave as the fault tests expect."""

from __future__ import annotations

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
    """``delay`` slows sends; ``getMe`` (not counted) answers at once."""
    sandbox.delay = 0.3
    async with httpx.AsyncClient() as client:
        started = time.monotonic()
        await client.post(f"{sandbox.base_url}T/getMe")
        assert time.monotonic() - started < 0.25
        started = time.monotonic()
        await client.post(f"{sandbox.base_url}T/sendMessage", data={"chat_id": 1, "text": "x"})
        assert time.monotonic() - started >= 0.3
