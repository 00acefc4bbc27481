"""Pieces shared by the fault benchmark's cases: a sandbox that notes when things happen,
bot processes (Companion through its CLI, a plain PTB bot), probes and percentiles.

Only stable interfaces are used: ``python -m bot run`` with settings in the environment,
the sandbox Bot API, and chat commands (``/broadcast``, ``/help``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bot.sandbox import SandboxServer, SentMessage
from bot.sandbox.world import JSON

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:FAULTS-token"
ADMIN = 1
TEXT = "Faults benchmark: the summer season starts today."
# Settings a Companion process must not inherit from the environment of the benchmark.
_OWN = ("ADMIN_IDS", "REDIS_URL", "HTTP_PORT", "DATABASE_URL", "BOT_TOKEN", "LOG_LEVEL")


class StampedSandbox(SandboxServer):
    """The sandbox Bot API, noting when each ``getUpdates`` arrives and when each message
    reached each chat (monotonic seconds)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.polls: list[float] = []
        self.arrivals: defaultdict[int, list[tuple[float, str]]] = defaultdict(list)
        self.world.listeners.append(self._arrived)

    def _arrived(self, message: SentMessage) -> None:
        self.arrivals[message.chat_id].append((time.monotonic(), message.text or ""))

    async def m_getUpdates(self, p: JSON) -> list[JSON]:
        self.polls.append(time.monotonic())
        return await super().m_getUpdates(p)

    def received(self, chat_id: int, text: str = TEXT) -> list[float]:
        """When ``chat_id`` got ``text`` (the broadcast), oldest first."""
        return [at for at, body in self.arrivals[chat_id] if body == text]

    async def until(self, predicate: Callable[[], Any], timeout: float) -> bool:
        """Wait for ``predicate``; False (not an error) when ``timeout`` passed first."""
        try:
            await self.world.wait_until(predicate, timeout)
        except TimeoutError:
            return False
        return True

    async def polled(self, timeout: float = 60) -> float:
        """Wait for the first ``getUpdates`` from now on; when it came."""
        count = len(self.polls)
        deadline = time.monotonic() + timeout
        while len(self.polls) == count:
            if time.monotonic() > deadline:
                raise TimeoutError("the bot never polled")
            await asyncio.sleep(0.02)
        return self.polls[count]


# -- bot processes ------------------------------------------------------------------------
def companion_env(base_url: str, folder: Path, **settings: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _OWN and not k.startswith("JOBS__")}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=database_url(folder),
        ADMIN_IDS=str(ADMIN),
        LOG_LEVEL="WARNING",
        # A fresh database after 09:00 would otherwise catch up today's missions to the audience.
        JOBS__MISSIONS_SEND_DAILY__ENABLED="false",
    )
    env.update({key.upper(): str(value) for key, value in settings.items()})
    return env


def database_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder}/faults.sqlite3"


async def spawn_companion(folder: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """``python -m bot run`` in ``folder`` (so no ``.env`` is read), logs to ``folder``."""
    with (folder / "companion.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=folder,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )


async def spawn_ptb(folder: Path, *args: object) -> asyncio.subprocess.Process:
    """The plain PTB bot of ``benchmarks/_faults_ptb.py`` with ``args``."""
    with (folder / "ptb.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks._faults_ptb",
            *map(str, args),
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )


async def stop(process: asyncio.subprocess.Process, grace: float = 5) -> None:
    """SIGTERM, then SIGKILL after ``grace`` s (a backlog still being answered is cut short)."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    await process.wait()


async def kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()


# -- counting and probing -------------------------------------------------------------------
def once_lost_doubled(sandbox: StampedSandbox, audience: Iterable[int]) -> dict[str, int]:
    counts = [len(sandbox.received(uid)) for uid in audience]
    return {
        "once": sum(1 for n in counts if n == 1),
        "lost": sum(1 for n in counts if n == 0),
        "doubled": sum(max(0, n - 1) for n in counts),
        "too_many_requests": sandbox.stats["429"],
    }


def delivered(sandbox: StampedSandbox, audience: Iterable[int]) -> int:
    return sum(1 for uid in audience if sandbox.received(uid))


async def ask(sandbox: StampedSandbox, user_id: int, text: str, timeout: float) -> float | None:
    """``user_id`` sends ``text``; seconds until the next message to them, None if none came."""
    arrivals = sandbox.arrivals[user_id]
    before, sent = len(arrivals), time.monotonic()
    sandbox.world.send_text(user_id, text)
    if not await sandbox.until(lambda: len(arrivals) > before, timeout):
        return None
    return arrivals[before][0] - sent


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` 0.99 = p99) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def latency_summary(samples: list[float | None], timeout: float) -> dict[str, Any]:
    """p50/p99/max of the answered probes; unanswered ones count at ``timeout`` (censored)."""
    answered = [s for s in samples if s is not None]
    censored = [timeout if s is None else s for s in samples]
    return {
        "timeout": timeout,
        "probes": len(samples),
        "unanswered": len(samples) - len(answered),
        "p50": percentile(censored, 0.50),
        "p99": percentile(censored, 0.99),
        "max": max(censored, default=None),
    }
