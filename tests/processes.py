"""Child processes in tests: never left running, whatever happened to the test."""

from __future__ import annotations

import asyncio
import contextlib


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
