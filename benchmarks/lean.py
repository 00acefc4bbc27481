"""Footprint: idle memory and start-up of ``python -m bot run`` beside a plain PTB bot.

``python -m benchmarks lean``. The sandbox Bot API runs in this process; each bot is a
child process started with only the settings it needs (SQLite, no Redis, no feeds, no
HTTP port, no webhook) against a database migrated beforehand. Start-up is the time from
spawning the process to its first ``getUpdates``; idle memory is the process's resident
set (``VmRSS``) SETTLE seconds after the spawn. ROUNDS rounds, medians. Two baselines: a
plain PTB bot, and the stack floor (``benchmarks/_stack_floor.py``: the smallest bot on the
same libraries, one table, one handler, one job), the memory any bot on this stack needs.
Then the bot's RSS idle and after every job ran once (``benchmarks/_lean_day.py``).

Every bot runs on a runtime-only install (``make install VENV=data/bench-runtime``), what a
deployment has: the development tools in ``.venv`` drag libraries into the bot (import-linter
installs rich and click, which structlog and httpx then import: about 5 MB).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.core.kernel.migrate import upgrade
from bot.sandbox import SandboxServer

ROUNDS = 3
SETTLE = 10.0  # seconds after the spawn when the resident set is read
TOKEN = "123456:LEAN-BENCH"
ROOT = str(Path(__file__).resolve().parents[1])
RUNTIME_VENV = "data/bench-runtime"


def runtime_python() -> str:
    """The interpreter of a runtime-only install of this checkout (made or refreshed here)."""
    subprocess.run(["make", "-s", "install", f"VENV={RUNTIME_VENV}"], cwd=ROOT, check=True)
    return str(Path(ROOT) / RUNTIME_VENV / "bin" / "python")


class _TimedSandbox(SandboxServer):
    """The sandbox, noting when the first ``getUpdates`` of a round arrives."""

    first_poll: float | None = None

    async def m_getUpdates(self, p: Any) -> Any:
        if self.first_poll is None:
            self.first_poll = time.perf_counter()
        return await super().m_getUpdates(p)


def rss_mb(pid: int) -> float:
    """The process's resident set in MB (10^6 bytes), from ``/proc``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS for process {pid}")


def _env(base_url: str, database_url: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TZ", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


async def _round(
    sandbox: _TimedSandbox, argv: list[str], env: dict[str, str], cwd: str
) -> tuple[float, float]:
    """Seconds to the first ``getUpdates`` and MB resident SETTLE seconds after the spawn."""
    sandbox.first_poll = None
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        await asyncio.sleep(SETTLE)  # the measured interval itself, not a wait for a condition
        if proc.returncode is not None or sandbox.first_poll is None:
            raise RuntimeError(f"{argv} did not start polling within {SETTLE:g} s")
        return sandbox.first_poll - start, rss_mb(proc.pid)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)


async def measure(python: str, rounds: int = ROUNDS) -> dict[str, tuple[float, float]]:
    """Median start-up (s) and idle RSS (MB) of each bot, measured alternately."""
    sandbox = _TimedSandbox()
    base_url = await sandbox.start()
    bots = {
        "plain PTB bot": [python, "-m", "benchmarks._plain_ptb"],
        "stack floor": [python, "-m", "benchmarks._stack_floor"],
        "python -m bot run": [python, "-m", "bot", "run"],
        "  with httpx": [python, "-m", "bot", "run"],  # TELEGRAM_HTTP_CLIENT=httpx
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in bots}
    try:
        with tempfile.TemporaryDirectory() as folder:
            database_url = f"sqlite+aiosqlite:///{folder}/lean.sqlite3"
            await asyncio.to_thread(upgrade, database_url)
            env = _env(base_url, database_url)
            env["PYTHONPATH"] = ROOT
            for _ in range(rounds):
                for name, argv in bots.items():
                    client = "httpx" if "httpx" in name else "aiohttp"
                    each = {**env, "TELEGRAM_HTTP_CLIENT": client}
                    samples[name].append(await _round(sandbox, argv, each, folder))
    finally:
        await sandbox.stop()
    return {
        name: (statistics.median(s for s, _ in rows), statistics.median(m for _, m in rows))
        for name, rows in samples.items()
    }


def after_a_day(python: str) -> dict[str, Any]:
    """RSS idle and after every job ran once, the sandbox in another process."""
    with tempfile.TemporaryDirectory() as folder:
        upgrade(f"sqlite+aiosqlite:///{folder}/lean.sqlite3")
        cases = [sys.executable, "-m", "benchmarks._delivery_cases", "sandbox", "1000001", "10"]
        sandbox = subprocess.Popen(
            cases, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert sandbox.stdin is not None and sandbox.stdout is not None
        base_url = json.loads(sandbox.stdout.readline())["base_url"]
        try:
            day = [python, "-m", "benchmarks._lean_day", base_url, folder]
            done = subprocess.run(day, cwd=ROOT, capture_output=True, text=True, check=True)
        finally:
            sandbox.communicate("")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def main() -> None:
    python = await asyncio.to_thread(runtime_python)
    results = await measure(python)
    print(f"SQLite, no Redis, sandbox Bot API, runtime-only install; medians of {ROUNDS} starts")
    print(f"{'':<22}{'start-up (s)':>14}{f'RSS at {SETTLE:g} s (MB)':>20}")
    for name, (startup, rss) in results.items():
        print(f"{name:<22}{startup:>14.2f}{rss:>20.1f}")
    (plain_s, plain_mb), (_floor_s, floor_mb), (bot_s, bot_mb), (_s, httpx_mb) = results.values()
    print(f"ratio (bot / plain):  {bot_s / plain_s:>13.1f}x{bot_mb / plain_mb:>19.1f}x")
    print(
        f"above the stack floor: {bot_mb - floor_mb:+.1f} MB (aiohttp), "
        f"{httpx_mb - floor_mb:+.1f} MB (httpx); floor / plain {floor_mb / plain_mb:.2f}x"
    )
    day = await asyncio.to_thread(after_a_day, python)
    ran = sum(status == "succeeded" for status in day["jobs"].values())
    print(
        f"bot RSS idle {day['idle']:.1f} MB; after each of its {len(day['jobs'])} jobs ran once "
        f"({ran} succeeded) {day['after_jobs']:.1f} MB = {day['after_jobs'] / day['idle']:.2f}x"
    )
