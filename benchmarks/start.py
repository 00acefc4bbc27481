"""Start-up beside a plain PTB bot: a fresh database, a warm start, idle memory.

``python -m benchmarks start``. The sandbox Bot API runs in this process (the one of
``benchmarks.lean``); each bot is a child process started with only the settings it needs
(SQLite, no Redis, no feeds, no HTTP port, no webhook), on a runtime-only install. Start-up
is the time from spawning to the first ``getUpdates``:

- the plain PTB bot (``benchmarks/_plain_ptb.py``), the baseline;
- a first start, what ``make run`` does on a new database: ``python -m bot db upgrade``
  then ``python -m bot start``, the database file not there yet;
- a warm start: ``python -m bot start`` on that database, now at head.

Idle memory is the warm bot's resident set SETTLE seconds after its first ``getUpdates``,
read against the stack floor's (``benchmarks/_stack_floor.py``) measured the same way.
ROUNDS rounds, the bots alternating within each; medians.
"""

from __future__ import annotations

import asyncio
import signal
import statistics
import tempfile
import time

from benchmarks.lean import ROOT, SETTLE, _env, _TimedSandbox, rss_mb, runtime_python

ROUNDS = 3
GOAL_START = 2.0  # a start at most twice the plain bot's
GOAL_MEMORY = 1.1  # idle memory at most 1.1x the stack floor's
LIMIT = 180.0  # a start that takes longer is a failure (a hang guard)


async def _round(
    sandbox: _TimedSandbox, argv: list[str], env: dict[str, str]
) -> tuple[float, float]:
    """Seconds from the spawn to the first ``getUpdates``, and MB resident SETTLE seconds
    after it (the bot idle: nothing comes)."""
    sandbox.first_poll = None
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        while sandbox.first_poll is None:  # what is measured: the first getUpdates
            if proc.returncode is not None or time.perf_counter() - start > LIMIT:
                raise RuntimeError(f"{argv} did not start polling within {LIMIT:g} s")
            await asyncio.sleep(0.005)
        started = sandbox.first_poll - start
        await asyncio.sleep(SETTLE)  # the measured interval itself, not a wait for a condition
        if proc.returncode is not None:
            raise RuntimeError(f"{argv} ended while idle")
        return started, rss_mb(proc.pid)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)


async def measure(python: str, rounds: int = ROUNDS) -> dict[str, tuple[float, float]]:
    """Median start-up (s) and RSS (MB) of each case, the cases alternating in each round."""
    sandbox = _TimedSandbox()
    base_url = await sandbox.start()
    fresh = f"{python} -m bot db upgrade && exec {python} -m bot start"
    cases = {
        "plain PTB bot": [python, "-m", "benchmarks._plain_ptb"],
        "stack floor": [python, "-m", "benchmarks._stack_floor"],
        "first start (new db)": ["sh", "-c", fresh],
        "warm start": [python, "-m", "bot", "start"],
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    try:
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as folder:  # a new database each round
                env = _env(base_url, f"sqlite+aiosqlite:///{folder}/start.sqlite3")
                env["PYTHONPATH"] = ROOT
                for name, argv in cases.items():  # the first start makes the warm one's db
                    samples[name].append(await _round(sandbox, argv, env))
    finally:
        await sandbox.stop()
    return {
        name: (statistics.median(s for s, _ in rows), statistics.median(m for _, m in rows))
        for name, rows in samples.items()
    }


def _verdict(ratio: float, goal: float) -> str:
    return f"goal <= {goal:g}x: {'met' if ratio <= goal else 'not met'}"


async def main() -> None:
    python = await asyncio.to_thread(runtime_python)
    results = await measure(python)
    print(f"SQLite, no Redis, sandbox Bot API, runtime-only install; medians of {ROUNDS} rounds")
    print(f"{'':<24}{'to 1st getUpdates (s)':>22}{f'RSS {SETTLE:g} s later (MB)':>24}")
    for name, (startup, rss) in results.items():
        print(f"{name:<24}{startup:>22.2f}{rss:>24.1f}")
    plain_s = results["plain PTB bot"][0]
    floor_mb = results["stack floor"][1]
    first_s = results["first start (new db)"][0]
    warm_s, warm_mb = results["warm start"]
    first, warm, memory = first_s / plain_s, warm_s / plain_s, warm_mb / floor_mb
    print(f"first start / plain:    {first:.2f}x  ({_verdict(first, GOAL_START)})")
    print(f"warm start / plain:     {warm:.2f}x  ({_verdict(warm, GOAL_START)})")
    print(f"idle RSS / stack floor: {memory:.2f}x  ({_verdict(memory, GOAL_MEMORY)})")


if __name__ == "__main__":
    asyncio.run(main())
