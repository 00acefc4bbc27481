"""The cases behind ``benchmarks/faults.py``: one per process, one JSON line out.

``python -m benchmarks._faults_cases CASE KIND [ARGS...]`` where KIND is ``companion``
(``python -m bot run``) or ``ptb`` (``benchmarks/_faults_ptb.py``). Each case starts its own
sandbox in this process and the bot as a child process, injects the fault, and prints what
the sandbox saw.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from benchmarks._delivery_cases import CHAT_BASE, audience, fill_users
from benchmarks._faults_kit import (
    ADMIN,
    TEXT,
    StampedSandbox,
    ask,
    companion_env,
    database_url,
    delivered,
    kill,
    latency_summary,
    once_lost_doubled,
    spawn_companion,
    spawn_ptb,
    stop,
)
from bot.core.kernel.migrate import upgrade
from bot.sandbox import FloodLimits
from bot.sandbox.flood import SlidingWindow

Result = dict[str, Any]
CRASH_USERS, KILL_AFTER, RESUME_WAIT, PTB_WATCH = 150, 40, 75.0, 10.0
SLOW_USERS, ENFORCED_PER_SECOND, PROBE_WINDOW, SLOW_TIMEOUT = 200, 10, 15.0, 8.0
FLOOD, FLOOD_SECONDS, FLOOD_PROBES, FLOOD_ROUNDS, FLOOD_TIMEOUT = 100, 2.0, 10, 3, 10.0
FLOODER, PROBE_BASE = 500, 600  # chat ids outside the audience


class BotUnderTest:
    """Companion or the plain PTB bot, started (and restarted) the same way each time."""

    def __init__(self, kind: str, folder: Path, sandbox: StampedSandbox, concurrent: int) -> None:
        self.kind, self.folder, self.sandbox, self.concurrent = kind, folder, sandbox, concurrent
        self.env = companion_env(sandbox.base_url, folder)

    async def prepare(self, users: int) -> None:
        """Companion's users (who pressed /start at some time); the PTB bot gets the ids."""
        if self.kind == "companion":
            await asyncio.to_thread(upgrade, database_url(self.folder))
            await asyncio.to_thread(fill_users, database_url(self.folder), users)

    async def start(self, broadcast_to: int = 0) -> asyncio.subprocess.Process:
        """Start the bot; with ``broadcast_to`` users, it broadcasts TEXT to them."""
        if self.kind == "ptb":
            first = CHAT_BASE + 1
            return await spawn_ptb(
                self.folder, self.sandbox.base_url, first, broadcast_to, self.concurrent
            )
        process = await spawn_companion(self.folder, self.env)
        if broadcast_to:
            await self.sandbox.polled()
            self.sandbox.world.send_text(ADMIN, f"/broadcast {TEXT}")
        return process


def _sandbox(limits: FloodLimits | None, users: int) -> StampedSandbox:
    sandbox = StampedSandbox(limits=limits)
    for uid in [ADMIN, *audience(users)]:
        sandbox.world.user(uid)
    return sandbox


# -- a. kill -9 mid-broadcast, restart at once ---------------------------------------------
async def crash(kind: str) -> Result:
    sandbox = _sandbox(None, CRASH_USERS)
    await sandbox.start()
    people = audience(CRASH_USERS)
    with tempfile.TemporaryDirectory() as name:
        bot = BotUnderTest(kind, Path(name), sandbox, 1)
        await bot.prepare(CRASH_USERS)
        first = await bot.start(broadcast_to=CRASH_USERS)
        # (a bot whose broadcast stalled before KILL_AFTER is killed after 30 s)
        await sandbox.until(lambda: delivered(sandbox, people) >= KILL_AFTER, 30)
        await kill(first)
        killed_at, restarted = delivered(sandbox, people), time.monotonic()
        second = await bot.start()
        watch = RESUME_WAIT if kind == "companion" else PTB_WATCH
        complete = await sandbox.until(lambda: delivered(sandbox, people) == len(people), watch)
        await asyncio.sleep(1.5)  # anything sent twice arrives now
        await stop(second)
    await sandbox.stop()
    return {**_resumed(sandbox, people, restarted, complete), "killed_at": killed_at}


def _resumed(sandbox: StampedSandbox, people: range, restarted: float, complete: bool) -> Result:
    after = [at for uid in people for at in sandbox.received(uid) if at > restarted]
    firsts = [min(sandbox.received(uid), default=None) for uid in people]
    polls = [at for at in sandbox.polls if at > restarted]
    return {
        "audience": len(people),
        "first_poll": polls[0] - restarted if polls else None,
        "first_resumed": min(after) - restarted if after else None,
        "all_after": max(f for f in firsts if f is not None) - restarted if complete else None,
        "waiting_10s": sum(1 for f in firsts if f is None or f > restarted + 10),
        **once_lost_doubled(sandbox, people),
    }


# -- b. the server enforces a third of the configured rate, during a broadcast -------------------
async def slow_server(kind: str) -> Result:
    limits = FloodLimits(total=SlidingWindow(ENFORCED_PER_SECOND, 1.0))
    sandbox = _sandbox(limits, SLOW_USERS)
    await sandbox.start()
    people = audience(SLOW_USERS)
    with tempfile.TemporaryDirectory() as name:
        bot = BotUnderTest(kind, Path(name), sandbox, 1)
        await bot.prepare(SLOW_USERS)
        process = await bot.start(broadcast_to=SLOW_USERS)
        await sandbox.until(lambda: delivered(sandbox, people) > 0, 30)  # it has begun
        began, done = time.monotonic(), lambda: delivered(sandbox, people) == len(people)
        samples = await _probe_while(sandbox, done, began + PROBE_WINDOW)
        await _broadcast_over(sandbox, people, done)
        await stop(process)
    await sandbox.stop()
    arrivals = sorted(at for uid in people for at in sandbox.received(uid))
    return {
        **once_lost_doubled(sandbox, people),
        **latency_summary(samples, SLOW_TIMEOUT),
        "audience": len(people),
        "seconds": arrivals[-1] - arrivals[0] if arrivals else 0.0,
        "rejected_total": sandbox.gate.rejected["total"],
    }


async def _probe_while(
    sandbox: StampedSandbox, done: Callable[[], bool], until: float
) -> list[float | None]:
    """Four users each ask /help every 1.5 s (inside Telegram's 3 per 3 s per chat) until
    ``done()`` or ``until``; each answer's delay."""
    samples: list[float | None] = []

    async def probe(user_id: int, offset: float) -> None:
        await asyncio.sleep(offset)
        while not done() and time.monotonic() < until:
            samples.append(await ask(sandbox, user_id, "/help", SLOW_TIMEOUT))
            await asyncio.sleep(1.5)

    await asyncio.gather(*(probe(PROBE_BASE + i, i * 0.4) for i in range(4)))
    return samples


async def _broadcast_over(sandbox: StampedSandbox, people: range, done: Callable[[], bool]) -> None:
    """Until everyone has it, nothing new arrived for 8 s (what is lost stays lost), or 10 s."""
    deadline = time.monotonic() + 10
    while not done() and time.monotonic() < deadline:
        latest = max((at for uid in people for at in sandbox.received(uid)), default=0.0)
        if time.monotonic() - latest > 8:
            return
        await asyncio.sleep(0.25)


# -- c. one user floods 100 commands --------------------------------------------------------
async def flood(kind: str, concurrent: int = 1) -> Result:
    sandbox = _sandbox(FloodLimits(), 0)
    await sandbox.start()
    with tempfile.TemporaryDirectory() as name:
        bot = BotUnderTest(kind, Path(name), sandbox, concurrent)
        await bot.prepare(0)
        process = await bot.start()
        await sandbox.polled()
        await ask(sandbox, PROBE_BASE - 1, "/help", 30)  # warm-up: first answer after start
        typing = asyncio.create_task(_type_flood(sandbox))
        samples = await asyncio.gather(
            *(
                _probe_once(sandbox, PROBE_BASE + user, 0.5 + 0.8 * r + 0.08 * user)
                for user in range(FLOOD_PROBES)
                for r in range(FLOOD_ROUNDS)
            )
        )
        await typing
        flooder = sandbox.arrivals[FLOODER]
        answered = len(flooder)  # while the others were measured
        await sandbox.until(lambda: any("too fast" in body for _, body in flooder), 5)
        answers = [body for _, body in flooder]
        await stop(process, grace=3)
    await sandbox.stop()
    return {
        **latency_summary(list(samples), FLOOD_TIMEOUT),
        "flooder_answers": answered,
        "slow_down": sum(1 for body in answers if "too fast" in body),
        "too_many_requests": sandbox.stats["429"],
    }


async def _type_flood(sandbox: StampedSandbox) -> None:
    for _ in range(FLOOD):
        sandbox.world.send_text(FLOODER, "/help")
        await asyncio.sleep(FLOOD_SECONDS / FLOOD)


async def _probe_once(sandbox: StampedSandbox, user_id: int, offset: float) -> float | None:
    await asyncio.sleep(offset)
    return await ask(sandbox, user_id, "/help", FLOOD_TIMEOUT)


CASES: dict[str, Callable[..., Coroutine[Any, Any, Result]]] = {
    "crash": crash,
    "slow_server": slow_server,
    "flood": flood,
}


def main(argv: list[str]) -> None:
    case, kind, *raw = argv
    result = asyncio.run(CASES[case](kind, *map(int, raw)))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
