"""Faults: Companion beside a plain PTB bot (``AIORateLimiter(max_retries=3)``) when things
break. ``python -m benchmarks faults`` (``make bench BENCH=faults``), under three minutes.

Each case runs in its own process with its own sandbox; the bots are real child processes
(Companion is ``python -m bot run``), and the pair of a case runs at the same time:

a. kill -9 mid-broadcast (CRASH_USERS users, killed after KILL_AFTER were sent), restarted
   at once: time to the first resumed send, lost and doubled messages. The plain bot keeps
   its broadcast in memory only, so its restart has nothing to resume.
b. The server enforces 10 sends/s while both bots are configured for Telegram's 30/s, during
   a broadcast to SLOW_USERS users: 429 answers, and how long four other users wait for an
   answer to /help.
c. One user sends 100 × /help in 2 s (the sandbox enforcing Telegram's 3 per 3 s per chat):
   how long 30 /help of ten other users wait, beside PTB's default (one update at a time) and
   PTB with ``concurrent_updates(64)``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._faults_cases import (
    CRASH_USERS,
    ENFORCED_PER_SECOND,
    FLOOD,
    KILL_AFTER,
    RESUME_WAIT,
    SLOW_USERS,
)

ROOT = Path(__file__).resolve().parent.parent
Result = dict[str, Any]
COMPANION, PTB = "Companion", "PTB AIORateLimiter(max_retries=3)"


def _command(case: str, *args: object) -> list[str]:
    return [sys.executable, "-m", "benchmarks._faults_cases", case, *map(str, args)]


def _run_together(cases: dict[str, list[str]]) -> dict[str, Result]:
    """Start every case at once, wait for all; their results by name."""
    running = {
        name: subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, command in cases.items()
    }
    results, started = {}, time.monotonic()
    for name, process in running.items():
        out, err = process.communicate()
        print(f"  ({name}: {time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
        if process.returncode != 0 or not out.strip():
            raise RuntimeError(f"case {name} failed ({process.returncode}):\n{err[-3000:]}")
        results[name] = json.loads(out.strip().splitlines()[-1])
    return results


# -- printing -----------------------------------------------------------------------------
def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[_cell(v) for v in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for index, row in enumerate(cells):
        first = row[0].ljust(widths[0])
        print("  ".join([first, *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]))
        if index == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    if value is None:
        return "never"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ratio(ours: Result, theirs: Result, key: str) -> str:
    """How many times longer the baseline waited; "> N x" when its figure is censored (some
    of its probes were never answered), "—" when ours is censored too."""
    if ours[key] is None or theirs[key] is None or ours[key] <= 0 or _censored(ours, key):
        return "—"
    ratio = f"{theirs[key] / ours[key]:.1f}x"
    return f"> {ratio}" if _censored(theirs, key) else ratio


def _censored(result: Result, key: str) -> bool:
    return bool(result["unanswered"]) and result[key] >= result["timeout"]


def _latency(result: Result, key: str) -> str:
    value = result[key]
    if value is None:
        return "—"
    if _censored(result, key):
        return f"> {result['timeout']:g} s"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def report_crash(r: dict[str, Result]) -> None:
    ours, plain = r[COMPANION], r[PTB]
    print(
        f"\na. kill -9 after ~{KILL_AFTER} of {CRASH_USERS} broadcast messages, restarted at "
        f"once (Companion watched up to {RESUME_WAIT:g} s after the restart)"
    )
    _table(
        ["", COMPANION, PTB],
        [
            ["sent before the kill", ours["killed_at"], plain["killed_at"]],
            ["restart → first getUpdates (s)", ours["first_poll"], plain["first_poll"]],
            ["restart → first resumed send (s)", ours["first_resumed"], plain["first_resumed"]],
            ["first getUpdates → first resumed send (s)", _after_poll(ours), _after_poll(plain)],
            ["restart → everyone has it (s)", ours["all_after"], plain["all_after"]],
            ["still waiting 10 s after the restart", ours["waiting_10s"], plain["waiting_10s"]],
            ["lost", ours["lost"], plain["lost"]],
            ["doubled", ours["doubled"], plain["doubled"]],
        ],
    )


def _after_poll(result: Result) -> float | None:
    if result["first_resumed"] is None or result["first_poll"] is None:
        return None
    return float(result["first_resumed"] - result["first_poll"])


def report_slow(r: dict[str, Result]) -> None:
    ours, plain = r[COMPANION], r[PTB]
    print(
        f"\nb. Broadcast to {SLOW_USERS} users, server enforcing {ENFORCED_PER_SECOND}/s, "
        "bots configured for 30/s; four other users ask /help every 1.5 s meanwhile"
    )
    _table(
        ["", COMPANION, PTB, "ratio"],
        [
            ["429 answers", ours["too_many_requests"], plain["too_many_requests"], "—"],
            ["delivered once", ours["once"], plain["once"], "—"],
            ["not delivered when the case ended / doubled", _pair(ours), _pair(plain), "—"],
            ["first → last delivered (s)", ours["seconds"], plain["seconds"], "—"],
            ["/help answers measured", ours["probes"], plain["probes"], "—"],
            _wait_row("/help wait p50", "p50", ours, plain),
            _wait_row("/help wait p99", "p99", ours, plain),
        ],
    )


def _wait_row(label: str, key: str, ours: Result, plain: Result) -> list[object]:
    return [label, _latency(ours, key), _latency(plain, key), _ratio(ours, plain, key)]


def _pair(result: Result) -> str:
    return f"{result['lost']} / {result['doubled']}"


def report_flood(r: dict[str, Result]) -> None:
    names = list(r)
    print(f"\nc. One user sends {FLOOD} × /help in 2 s; ten other users ask /help meanwhile")
    rows: list[list[object]] = [
        ["other users' /help measured", *(x["probes"] for x in r.values())],
        ["  not answered in time", *(x["unanswered"] for x in r.values())],
        ["  wait p50", *(_latency(x, "p50") for x in r.values())],
        ["  wait p99", *(_latency(x, "p99") for x in r.values())],
        ["  wait max", *(_latency(x, "max") for x in r.values())],
        ["flooder's answers during the flood", *(x["flooder_answers"] for x in r.values())],
        ["  of which 'slow down'", *(x["slow_down"] for x in r.values())],
        ["429 answers", *(x["too_many_requests"] for x in r.values())],
    ]
    _table(["", *names], rows)
    ours = r[COMPANION]
    for name in names[1:]:
        print(f"other users' p99 with {name}: {_ratio(ours, r[name], 'p99')} Companion's")


def main() -> None:
    started = time.monotonic()
    crash = _run_together(
        {COMPANION: _command("crash", "companion"), PTB: _command("crash", "ptb")}
    )
    report_crash(crash)
    slow = _run_together(
        {COMPANION: _command("slow_server", "companion"), PTB: _command("slow_server", "ptb")}
    )
    report_slow(slow)
    flood = _run_together(
        {
            COMPANION: _command("flood", "companion"),
            PTB: _command("flood", "ptb", 1),
            "PTB + concurrent_updates(64)": _command("flood", "ptb", 64),
        }
    )
    report_flood(flood)
    print(f"\n(whole benchmark: {time.monotonic() - started:.0f} s)")
