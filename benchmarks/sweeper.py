"""Sweeper: every user at their own hour with one job, beside one JobQueue job per user.

``python -m benchmarks sweeper`` (``make bench BENCH=sweeper``). For 10,000 and 100,000
users spread over 20 zones (DST and not, offsets of 30 and 45 minutes) and every minute of
the day, each in fresh child processes on a temporary SQLite database: the database is
filled, then ``missions.sweep`` runs once a simulated minute for two simulated hours
(each user's mission and streak-reminder rows), measuring the delay from a user's local
time to their message entering the outbox (the time past the minute plus the sweep's own
duration), the sweep's CPU per minute (the process's, SQLite's thread included) and its
resident memory. The alternative registers one ``run_daily`` job per user on PTB's
JobQueue and starts it: its start-up time and resident memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SIZES = (10_000, 100_000)


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._sweeper_run", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    rows: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for size in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            db = str(Path(folder) / "sweep.sqlite3")
            _child("populate", db, str(size))
            swept = _child("sweep", db)
        queue = _child("jobqueue", str(size))
        rows.append((size, swept, queue))
        print(f"{size:,} users: sweeper {swept}; JobQueue {queue}", flush=True)
    _report(rows)


def _report(rows: list[tuple[int, dict[str, Any], dict[str, Any]]]) -> None:
    print()
    print(
        "| users | local time → outbox p99 / max | sweep CPU per minute (mean / max) "
        "| sweeper RSS | JobQueue start-up | JobQueue RSS |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for size, swept, queue in rows:
        print(
            f"| {size:,} | {swept['p99_delay_s']:.2f} / {swept['max_delay_s']:.2f} s "
            f"| {swept['cpu_ms_per_minute_mean']:.0f} / {swept['cpu_ms_per_minute_max']:.0f} ms "
            f"| {swept['rss_mb_after']:.0f} MB | {queue['startup_s']:.1f} s "
            f"| {queue['rss_mb_after']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
