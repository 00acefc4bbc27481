"""Start-up beside a plain PTB bot: a fresh database, a warm start, idle memory.

``python -m benchmarks start``. The sandbox Bot API runs in this process (the one of
``benchmarks.lean``); each bot is a child process started with only the settings it needs
(SQLite, no Redis, no feeds, no HTTP port, no webhook), on a runtime-only install. Start-up
is the time from spawning to the first ``getUpdates``:

- the plain PTB bot (``benchmarks/_plain_ptb.py``), the baseline;
- a first start, what ``make run`` does on a new database: ``python -m bot start``, which
  creates it from the models and stamps it in its own process, the database file not there
  yet;
- the same first start the way it was before: every migration in turn, then ``start``;
- a warm start: ``python -m bot start`` on that database, now at head.

Beside each time, the CPU seconds its processes spent by then (``/proc``: user and system,
the waited-for ``db upgrade`` included), which a busy machine inflates less than the time.

Idle memory is the warm bot's resident set SETTLE seconds after its first ``getUpdates``,
read against the stack floor's (``benchmarks/_stack_floor.py``) measured the same way.
ROUNDS rounds, the bots alternating within each; medians.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.lean import ROOT, SETTLE, _env, _TimedSandbox, rss_mb, runtime_python

ROUNDS = 3
GOAL_START = 2.0  # a start at most twice the plain bot's
GOAL_MEMORY = 1.1  # idle memory at most 1.1x the stack floor's
LIMIT = 180.0  # a start that takes longer is a failure (a hang guard)
# The first start before a new database was created from the models: ``db upgrade`` running
# every migration in turn (the same imports as the command, then Alembic).
MIGRATE = (
    "import os, bot.__main__, bot.settings; "
    "from bot.core.kernel.migrate import upgrade_and_describe; "
    'print(upgrade_and_describe(os.environ["DATABASE_URL"]))'
)


# The database file of each case (the rest share "start": the first start makes the warm one's)
FILES = {"plain PTB bot": "plain", "stack floor": "floor", "first start, migrations": "migrated"}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the process and of the children it waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(tick) for tick in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _first_poll(sandbox: _TimedSandbox) -> float | None:
    """When the sandbox took the first ``getUpdates`` of this round (set by its handler)."""
    return sandbox.first_poll


async def _round(
    sandbox: _TimedSandbox, argv: list[str], env: dict[str, str]
) -> tuple[float, float, float]:
    """Seconds from the spawn to the first ``getUpdates``, the CPU seconds spent by then,
    and MB resident SETTLE seconds after it (the bot idle: nothing comes)."""
    sandbox.first_poll = None
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        while (polled := _first_poll(sandbox)) is None:  # what is measured
            if proc.returncode is not None or time.perf_counter() - start > LIMIT:
                raise RuntimeError(f"{argv} did not start polling within {LIMIT:g} s")
            await asyncio.sleep(0.005)
        cpu = cpu_seconds(proc.pid)
        started = polled - start
        await asyncio.sleep(SETTLE)  # the measured interval itself, not a wait for a condition
        if proc.returncode is not None:
            raise RuntimeError(f"{argv} ended while idle")
        return started, cpu, rss_mb(proc.pid)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)


async def measure(python: str, rounds: int = ROUNDS) -> dict[str, tuple[float, float, float]]:
    """Median start-up (s), its CPU (s) and RSS (MB) of each case, alternating in each round."""
    sandbox = _TimedSandbox()
    base_url = await sandbox.start()
    start = f"exec {python} -m bot start"
    cases = {
        "plain PTB bot": [python, "-m", "benchmarks._plain_ptb"],
        "stack floor": [python, "-m", "benchmarks._stack_floor"],
        "first start, migrations": ["sh", "-c", f"{python} -c '{MIGRATE}' && {start}"],
        "first start (new db)": [python, "-m", "bot", "start"],
        "warm start": [python, "-m", "bot", "start"],
    }
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    try:
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as folder:  # new databases each round
                for name, argv in cases.items():  # the first start makes the warm one's db
                    # each its own file: the stack floor makes a table of its own, and a
                    # database with a table is not new (it would be migrated, not created)
                    database = FILES.get(name, "start")
                    env = _env(base_url, f"sqlite+aiosqlite:///{folder}/{database}.sqlite3")
                    env["PYTHONPATH"] = ROOT
                    samples[name].append(await _round(sandbox, argv, env))
    finally:
        await sandbox.stop()
    return {name: _medians(rows) for name, rows in samples.items()}


def _medians(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    seconds, cpu, rss = zip(*rows, strict=True)
    return statistics.median(seconds), statistics.median(cpu), statistics.median(rss)


def _verdict(ratio: float, goal: float) -> str:
    return f"goal <= {goal:g}x: {'met' if ratio <= goal else 'not met'}"


async def main() -> None:
    python = await asyncio.to_thread(runtime_python)
    results = await measure(python)
    print(f"SQLite, no Redis, sandbox Bot API, runtime-only install; medians of {ROUNDS} rounds")
    print(f"{'':<26}{'to 1st getUpdates':>18}{'CPU by then':>13}{f'RSS {SETTLE:g} s later':>18}")
    for name, (startup, cpu, rss) in results.items():
        print(f"{name:<26}{startup:>16.2f} s{cpu:>11.2f} s{rss:>15.1f} MB")
    plain_s, plain_cpu, _ = results["plain PTB bot"]
    floor_mb = results["stack floor"][2]
    old_s, old_cpu, _ = results["first start, migrations"]
    first_s, first_cpu, _ = results["first start (new db)"]
    warm_s, warm_cpu, warm_mb = results["warm start"]
    first, warm, memory = first_s / plain_s, warm_s / plain_s, warm_mb / floor_mb
    print(
        f"first start / plain:    {first:.2f}x, CPU {first_cpu / plain_cpu:.2f}x  "
        f"({_verdict(first, GOAL_START)}; by every migration {old_s / plain_s:.2f}x, "
        f"CPU {old_cpu / plain_cpu:.2f}x)"
    )
    print(
        f"warm start / plain:     {warm:.2f}x, CPU {warm_cpu / plain_cpu:.2f}x  "
        f"({_verdict(warm, GOAL_START)})"
    )
    print(f"idle RSS / stack floor: {memory:.2f}x  ({_verdict(memory, GOAL_MEMORY)})")


if __name__ == "__main__":
    asyncio.run(main())
