"""Child processes in tests: never left running, whatever happened to the test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

# Taken from the environment of the test run only when a test passes them itself.
_NOT_INHERITED = ("ADMIN_IDS", "REDIS_URL")


async def start_bot(
    cwd: Path, base_url: str, database_url: str, **settings: str
) -> asyncio.subprocess.Process:
    """``python -m bot run`` in a child process against the sandbox at ``base_url``, on
    ``database_url``, at ``LOG_LEVEL=WARNING``, with ``settings`` (e.g. ``REDIS_URL``) in its
    environment; its output is discarded. Stop it with :func:`stop` (or SIGKILL it)."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update(
        BOT_TOKEN="123:loopback",
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
    )
    env.update(settings)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def stop(process: asyncio.subprocess.Process, grace: float = 30) -> int:
    """SIGTERM (the bot shuts down cleanly), then SIGKILL after ``grace`` seconds."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            async with asyncio.timeout(grace):
                return await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    return await process.wait()


async def finish(process: asyncio.subprocess.Process, timeout: float) -> tuple[bytes, bytes]:
    """``communicate()`` within ``timeout``; a process that overruns is killed, then it fails."""
    try:
        async with asyncio.timeout(timeout):
            return await process.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
