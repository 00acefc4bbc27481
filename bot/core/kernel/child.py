"""Work done apart in a short-lived child process: fed on stdin, killed when it overstays."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

PIPE = asyncio.subprocess.PIPE
DEVNULL = asyncio.subprocess.DEVNULL


@dataclass(frozen=True, slots=True)
class Exited:
    """A child's exit status and what it wrote (``b""`` for a stream not piped)."""

    status: int
    out: bytes
    err: bytes


async def run_child(
    *args: str, data: bytes, timeout: float, stdout: int | None = None, stderr: int | None = None
) -> Exited:
    """Run ``args`` with ``data`` on its stdin; ``stdout`` and ``stderr`` as for
    :func:`asyncio.create_subprocess_exec` (:data:`PIPE` to read them). TimeoutError after
    ``timeout`` seconds. The child never outlives the call, also when the caller is cancelled
    (the bot stopping): it is killed."""
    child = await asyncio.create_subprocess_exec(*args, stdin=PIPE, stdout=stdout, stderr=stderr)
    try:
        async with asyncio.timeout(timeout):
            out, err = await child.communicate(data)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode is not None
    return Exited(child.returncode, out or b"", err or b"")
