"""Child processes in tests: ``python -m bot`` as a user runs it, never left running,
whatever happened to the test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.sandbox import SandboxServer

# Taken from the environment of the test run only when a test passes them itself.
_NOT_INHERITED = ("ADMIN_IDS", "REDIS_URL")
_Output = int | IO[Any] | None


async def python_bot(
    *args: str,
    cwd: Path,
    env: dict[str, str],
    stdout: _Output = asyncio.subprocess.DEVNULL,
    stderr: _Output = asyncio.subprocess.DEVNULL,
) -> asyncio.subprocess.Process:
    """``python -m bot <args>`` in a child process; its output is discarded unless
    ``stdout`` / ``stderr`` say otherwise (a pipe nobody reads could block the bot)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env, stdout=stdout, stderr=stderr
    )


async def start_bot(
    cwd: Path, base_url: str, database_url: str, **settings: str
) -> asyncio.subprocess.Process:
    """``python -m bot run`` in a child process against the sandbox at ``base_url``, on
    ``database_url``, at ``LOG_LEVEL=WARNING``, with ``settings`` (e.g. ``REDIS_URL``) in its
    environment; its output is discarded. Stop it with :func:`stop` (or :func:`kill` it)."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update(
        BOT_TOKEN="123:loopback",
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
    )
    env.update(settings)
    return await python_bot("run", cwd=cwd, env=env)


def cli_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The environment of a command-line run: the test run's, without a token or admins, on
    a SQLite file in ``tmp_path``, at ``LOG_LEVEL=WARNING``; then ``values``."""
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "ADMIN_IDS")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3", "LOG_LEVEL": "WARNING"})
    env.update(values)
    return env


async def cli(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """``python -m bot <args>`` in ``tmp_path`` with :func:`cli_env` and ``env``, to its end
    (at most a minute): exit code, stdout, stderr."""
    process = await python_bot(
        *args,
        cwd=tmp_path,
        env=cli_env(tmp_path, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await finish(process, 60)
    return process.returncode or 0, out.decode(), err.decode()


async def kill(process: asyncio.subprocess.Process) -> int:
    """SIGKILL (no clean shutdown), then wait for the end; a process that already ended
    is only waited for."""
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    return await process.wait()


async def kill_after(process: asyncio.subprocess.Process, moment: Awaitable[Any]) -> None:
    """Wait for ``moment`` (say, the first messages sent), then SIGKILL ``process``; it is
    killed also when the wait fails or times out."""
    try:
        await moment
    finally:
        await kill(process)


async def stop(process: asyncio.subprocess.Process, grace: float = 30) -> int:
    """SIGTERM (the bot shuts down cleanly), then SIGKILL after ``grace`` seconds."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            async with asyncio.timeout(grace):
                return await process.wait()
        except TimeoutError:
            return await kill(process)
    return await process.wait()


async def finish(process: asyncio.subprocess.Process, timeout: float) -> tuple[bytes, bytes]:
    """``communicate()`` within ``timeout``; a process that overruns is killed, then it fails."""
    try:
        async with asyncio.timeout(timeout):
            return await process.communicate()
    except TimeoutError:
        await kill(process)
        raise


async def quiet(
    sandbox: SandboxServer, database_url: str, *, checks: int = 5, timeout: float = 60
) -> None:
    """Wait until the bot processes on ``database_url`` have nothing left to do that the test
    could see: every update the sandbox holds is confirmed (taken by a poller), no outbox row
    is pending (every send's outcome recorded), and the sandbox's own call counter did not
    move over ``checks`` checks in a row, 0.1 s apart. "Nothing more arrived" is asserted after
    this, not after a fixed sleep, which a slow machine can end before a double is sent."""
    from bot.core.delivery.backlog import pending_count
    from tests.helpers.owned import opened

    async with asyncio.timeout(timeout), opened(database_url) as db:
        calm, calls = 0, -1
        while calm < checks:
            async with db.session() as session:
                pending = await pending_count(session)
            total = sum(sandbox.stats.values())
            busy = pending or sandbox.world.unconfirmed or total != calls
            calm, calls = (0 if busy else calm + 1), total
            await asyncio.sleep(0.1)
