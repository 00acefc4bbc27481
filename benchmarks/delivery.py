"""Delivery: a broadcast under Telegram's limits beside plain PTB, the outbox's throughput and
memory with the limits lifted, and the cost of queuing a big broadcast.

``python -m benchmarks delivery`` (or ``make bench BENCH=delivery``); about four minutes on two
cores. Every case runs in its own process (``benchmarks/_delivery_cases.py``), so each one's
memory is its own:

1. Against the sandbox with Telegram's limits (30/s in total, 3 per 3 s per chat), a broadcast to
   USERS users of whom every tenth blocked the bot: Companion (``queue_broadcast`` drained by the
   running bot's outbox sender) beside a plain PTB bot with ``AIORateLimiter`` that gathers one
   ``send_message`` per user and catches ``Forbidden`` (default ``max_retries=0``, and 3). The
   three run at the same time, each against its own sandbox, each with the full audience.
2. With the sandbox's limits lifted and the paid-broadcast lane on (``ALLOW_PAID_BROADCAST``,
   1,000/s): the bot, pinned to one core (the sandbox on another), drains the first DRAIN rows of
   an outbox holding each of ROWS pending rows; sends per second and the process's memory.
3. ``queue_broadcast`` (the ``INSERT ... SELECT`` that ``/broadcast`` runs) for QUEUE users.

Sizes can be lowered for a quick look: ``DELIVERY_USERS=600 DELIVERY_ROWS=10000,100000
DELIVERY_DRAIN=2000 DELIVERY_QUEUE=10000 python -m benchmarks delivery``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._delivery_cases import CHAT_BASE, fill_outbox, fill_users, settings_for
from bot.core.kernel.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("DELIVERY_USERS", "5000"))
BLOCKED_EVERY = 10
ROWS = tuple(int(n) for n in os.environ.get("DELIVERY_ROWS", "10000,1000000").split(","))
DRAIN = int(os.environ.get("DELIVERY_DRAIN", "10000"))
QUEUE = int(os.environ.get("DELIVERY_QUEUE", "100000"))
GLOBAL_LIMIT, PAID_LIMIT = 30.0, 1000.0
Result = dict[str, Any]


# -- running the cases ----------------------------------------------------------------
def _command(case: str, *args: object) -> list[str]:
    return [sys.executable, "-m", "benchmarks._delivery_cases", case, *map(str, args)]


def _parse(case: str, process: subprocess.Popen[str], out: str, err: str) -> Result:
    if process.returncode != 0 or not out.strip():
        raise RuntimeError(f"case {case} failed ({process.returncode}):\n{err[-3000:]}")
    result: Result = json.loads(out.strip().splitlines()[-1])
    return result


def _run_together(cases: dict[str, list[str]]) -> dict[str, Result]:
    """Start every case at once, wait for all; their results by name."""
    running = {
        name: subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, command in cases.items()
    }
    results = {}
    for name, process in running.items():
        out, err = process.communicate()
        results[name] = _parse(name, process, out, err)
    return results


def _run(case: str, *args: object) -> Result:
    return _run_together({case: _command(case, *args)})[case]


# -- the three measurements -------------------------------------------------------------
def broadcast_under_limits() -> dict[str, Result]:
    return _run_together(
        {
            "Companion": _command("companion", USERS, BLOCKED_EVERY),
            "PTB AIORateLimiter": _command("ptb", USERS, BLOCKED_EVERY, 0),
            "PTB AIORateLimiter(max_retries=3)": _command("ptb", USERS, BLOCKED_EVERY, 3),
        }
    )


def drain_with_limits_lifted(rows: int, client: str = "aiohttp") -> Result:
    """The bot drains the first DRAIN rows of ``rows`` queued ones with ``client``; the
    sandbox's own stats."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = settings_for(folder, "http://127.0.0.1:9/bot").database_url
        upgrade(url)
        started = time.perf_counter()
        fill_outbox(url, rows)
        filled = time.perf_counter() - started
        sandbox = subprocess.Popen(
            _command("sandbox", CHAT_BASE + 1, DRAIN + 5_000),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert sandbox.stdin is not None and sandbox.stdout is not None
        base_url = json.loads(sandbox.stdout.readline())["base_url"]
        try:
            result = _run("drain", folder, base_url, DRAIN, client)
        finally:
            out, _ = sandbox.communicate("")
        served = json.loads(out.strip().splitlines()[-1])
    return {**result, "fill_seconds": filled, "sandbox": served}


def queue_big_broadcast() -> Result:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = settings_for(folder, "http://127.0.0.1:9/bot").database_url
        upgrade(url)
        fill_users(url, QUEUE)
        return _run("queue", folder, QUEUE)


# -- printing -------------------------------------------------------------------------
def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[_cell(v) for v in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for index, row in enumerate(cells):
        first = row[0].ljust(widths[0])
        print("  ".join([first, *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]))
        if index == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _pct(value: float, of: float) -> str:
    return f"{value / of:.1%}"


def report_broadcast(results: dict[str, Result]) -> None:
    names = list(results)
    print(
        f"\n1. Broadcast to {USERS:,} users, every {BLOCKED_EVERY}th blocked, sandbox with "
        f"Telegram's limits ({GLOBAL_LIMIT:g}/s total, 3 per 3 s per chat); the three ran "
        "at once, each against its own sandbox"
    )
    r = list(results.values())
    _table(
        ["", *names],
        [
            ["reachable users", *(x["reachable"] for x in r)],
            ["delivered exactly once", *(x["once"] for x in r)],
            ["lost (never delivered)", *(x["lost"] for x in r)],
            ["duplicates", *(x["duplicates"] for x in r)],
            ["429 answers", *(x["too_many_requests"] for x in r)],
            ["403 answers (blocked)", *(x["forbidden"] for x in r)],
            ["exceptions raised to the caller", *(_raised(x) for x in r)],
            ["first → last delivered (s)", *(x["seconds"] for x in r)],
            ["delivered per second", *(x["rate"] for x in r)],
            ["  as % of the 30/s limit", *(_pct(x["rate"], GLOBAL_LIMIT) for x in r)],
            ["sends incl. 403 per second", *(_with_403(x) for x in r)],
            ["  as % of the 30/s limit", *(_pct(_with_403(x), GLOBAL_LIMIT) for x in r)],
            ["whole broadcast (s)", *(x["wall"] for x in r)],
        ],
    )
    ours, plain = r[0], r[1]
    print(
        "(first → last is over the messages that arrived; a run that lost most of them has a "
        "short, meaningless span: compare the whole broadcast)"
    )
    print(
        f"lost: {ours['lost']} vs {plain['lost']}; 429s: {ours['too_many_requests']} vs "
        f"{plain['too_many_requests']}; delivered per second of the whole broadcast: "
        f"{ours['once'] / ours['wall']:.1f} vs {plain['once'] / plain['wall']:.1f} "
        f"({ours['once'] / ours['wall'] / max(plain['once'] / plain['wall'], 1e-9):.1f}x)"
    )


def _raised(result: Result) -> str:
    raised: dict[str, int] = result.get("raised", {})
    return ", ".join(f"{n:,} {name}" for name, n in raised.items()) or "0"


def _with_403(result: Result) -> float:
    """Bot API sends per second over the same span, counting the ones answered 403."""
    seconds = result["seconds"]
    return (result["once"] + result["duplicates"] + result["forbidden"]) / seconds if seconds else 0


def report_drain(results: dict[int, Result]) -> None:
    print(
        f"\n2. Outbox drained with the sandbox's limits lifted, paid lane (1,000/s): the first "
        f"{DRAIN:,} rows, bot process pinned to one core"
    )
    r = list(results.values())
    _table(
        ["rows queued", *(f"{n:,}" for n in results)],
        [
            ["queue filled by INSERT ... SELECT (s)", *(x["fill_seconds"] for x in r)],
            ["sends per second", *(x["rate"] for x in r)],
            ["  as % of 1,000/s", *(_pct(x["rate"], PAID_LIMIT) for x in r)],
            ["CPU seconds per 1,000 sends", *(f"{x['cpu_per_1000']:.2f}" for x in r)],
            ["RSS before start (MB)", *(x["rss_before"] for x in r)],
            ["RSS after draining (MB)", *(x["rss_after"] for x in r)],
            ["highest RSS while draining (MB)", *(x["rss_max"] for x in r)],
            ["peak RSS of the process (ru_maxrss, MB)", *(x["rss_peak"] for x in r)],
            [
                "sendMessage calls the sandbox saw",
                *(x["sandbox"]["stats"]["sendMessage"] for x in r),
            ],
            ["sandbox CPU seconds (other core)", *(x["sandbox"]["cpu"] for x in r)],
        ],
    )
    small, big = r[0], r[-1]
    print(
        f"highest RSS while draining: {big['rss_max'] / small['rss_max']:.2f}x for "
        f"{ROWS[-1] / ROWS[0]:,.0f}x the rows; rate ratio {big['rate'] / small['rate']:.2f}x"
    )


def report_clients(httpx: Result, aiohttp: Result) -> None:
    print(
        f"\n2b. The same drain of {ROWS[0]:,} queued rows with python-telegram-bot's default "
        f"request (TELEGRAM_HTTP_CLIENT=httpx) beside the default (aiohttp)"
    )
    _table(
        ["", "httpx (PTB default)", "aiohttp", "ratio"],
        [
            ["sends per second", httpx["rate"], aiohttp["rate"], aiohttp["rate"] / httpx["rate"]],
            [
                "CPU seconds per 1,000 sends",
                f"{httpx['cpu_per_1000']:.2f}",
                f"{aiohttp['cpu_per_1000']:.2f}",
                aiohttp["cpu_per_1000"] / httpx["cpu_per_1000"],
            ],
            ["RSS before start (MB)", httpx["rss_before"], aiohttp["rss_before"], ""],
            ["highest RSS while draining (MB)", httpx["rss_max"], aiohttp["rss_max"], ""],
        ],
    )


def report_queue(result: Result) -> None:
    print(f"\n3. Queuing a broadcast to {QUEUE:,} users on SQLite (queue_broadcast)")
    _table(
        ["", "value"],
        [
            ["outbox rows written", result["rows"]],
            ["seconds (one transaction, committed)", f"{result['seconds']:.2f}"],
            ["rows per second", result["rows"] / result["seconds"]],
            ["Python allocations, tracemalloc peak (MB)", f"{result['traced_peak']:.2f}"],
            [
                "RSS before → after the statement (MB)",
                f"{result['rss_before']:.1f} → {result['rss_after']:.1f}",
            ],
            ["peak RSS of the process (MB)", result["rss_peak"]],
        ],
    )


def summary(broadcast: dict[str, Result], drained: dict[int, Result], queued: Result) -> None:
    ours, plain = broadcast["Companion"], broadcast["PTB AIORateLimiter"]
    small, big = drained[ROWS[0]], drained[ROWS[-1]]
    print("\nSummary")
    _table(
        ["measurement", "Companion", "baseline / note"],
        [
            [
                f"broadcast {USERS:,} users: exactly once / lost / dup",
                f"{ours['once']:,} / {ours['lost']} / {ours['duplicates']}",
                f"PTB: {plain['once']:,} / {plain['lost']:,} / {plain['duplicates']}",
            ],
            ["  429 answers", ours["too_many_requests"], f"PTB: {plain['too_many_requests']:,}"],
            [
                "  delivered/s (sends incl. 403/s), % of 30/s",
                f"{ours['rate']:.1f} ({_with_403(ours):.1f}), "
                f"{_pct(ours['rate'], 30)} ({_pct(_with_403(ours), 30)})",
                f"PTB whole run: {plain['once'] / plain['wall']:.1f}/s",
            ],
            [
                "paid lane sends/s, one core",
                f"{small['rate']:,.0f} / {big['rate']:,.0f}",
                f"{ROWS[0]:,} / {ROWS[-1]:,} rows queued",
            ],
            [
                "  highest RSS while draining (MB)",
                f"{small['rss_max']:.0f} / {big['rss_max']:.0f}",
                f"{ROWS[0]:,} / {ROWS[-1]:,} rows queued",
            ],
            [
                f"queue broadcast to {QUEUE:,}",
                f"{queued['seconds']:.2f} s",
                f"tracemalloc peak {queued['traced_peak']:.2f} MB, "
                f"RSS +{queued['rss_after'] - queued['rss_before']:.1f} MB",
            ],
        ],
    )


def main() -> None:
    print(f"sizes: USERS={USERS} ROWS={ROWS} DRAIN={DRAIN} QUEUE={QUEUE}", flush=True)
    broadcast = broadcast_under_limits()
    report_broadcast(broadcast)
    baseline = drain_with_limits_lifted(ROWS[0], "httpx")
    drained = {rows: drain_with_limits_lifted(rows) for rows in ROWS}
    report_drain(drained)
    report_clients(baseline, drained[ROWS[0]])
    queued = queue_big_broadcast()
    report_queue(queued)
    summary(broadcast, drained, queued)
