"""Fixtures of the integration tests."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def redis_port(tmp_path: Path) -> AsyncIterator[int]:
    """A throw-away redis-server on a free loopback port, no persistence; its port."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is required (make redis)"
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
        stdout=asyncio.subprocess.DEVNULL,
    )
    client = Redis(port=port)
    try:
        for _ in range(100):
            try:
                await client.ping()
                break
            except RedisConnectionError:
                await asyncio.sleep(0.05)
        yield port
    finally:
        await client.aclose()
        process.kill()
        await asyncio.wait_for(process.wait(), timeout=10)
