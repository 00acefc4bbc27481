"""Handling updates: ``/balance`` and a button press for known users, beside a plain PTB bot.

``python -m benchmarks updates``. The sandbox Bot API runs in this process with Telegram's
flood limits lifted; each bot is a child process on a runtime-only install (as in
``benchmarks.lean``): ``python -m bot run`` on a database seeded with USERS users
(``benchmarks.seed``, a day of history; SQLite, then PostgreSQL in a throw-away server:
this benchmark again under ``tests/postgres.sh``), its own rate limits raised far above the
load so that no reply is paced, and the plain PTB bot (``benchmarks/_plain_ptb_updates.py``):
the same replies without a database, 64 updates at a time as the bot. For each bot:

1. **setup**: every user sends ``/mission``; the bot's answer carries the Done button pressed
   below (a user whose mission is done already gets none);
2. **at RATE a second** for SECONDS seconds, spread over the users in turn (Telegram's
   per-chat limits lifted): every other user sends ``/balance``, the others press their Done
   button (``/balance`` when they have none); the first press completes the mission (the
   points, the streak, the message edited), a later one is answered "already done";
3. **as fast as it goes**: OPEN updates of the same mix pushed at once, the bot's sustained
   rate read from how fast the answers come.

An update's handling time runs from its push into the sandbox to the sandbox recording the
bot's answer: the ``/balance`` reply in that chat (replies matched to commands per chat, in
order), the ``answerCallbackQuery`` of the press (by its id). Throughput is the answers over
the window from the first push to the last answer. CPU is the bot's (``/proc``) per 1,000
updates, and the sandbox's own (``getrusage``: this process, the load generator with it),
which shares the machine's cores with the bot: when it nears a whole core the sandbox, not
the bot, may be what limits the rate, and its answers are recorded late.

With a goal not met, the bot runs once more on SQLite, profiled (``cProfile``) during the
fixed-rate phase alone (``benchmarks/_updates_profiled.py``): the functions and packages it
spent its time in, and the SQL statements and commits per update. ``PROFILE=0`` skips it;
``UPDATES_DB`` = ``sqlite``, ``postgres`` or ``both`` (the default); ``UPDATES_USERS``,
``UPDATES_RATE``, ``UPDATES_SECONDS`` and ``UPDATES_OPEN`` change the load.
"""

from __future__ import annotations

import asyncio
import json
import os
import pstats
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.lean import ROOT, _env, _TimedSandbox, runtime_python
from benchmarks.start import cpu_seconds
from bot.sandbox.flood import FloodLimits
from bot.sandbox.world import SentMessage

USERS = int(os.environ.get("UPDATES_USERS", "5000"))
RATE = int(os.environ.get("UPDATES_RATE", "1000"))  # updates a second in the fixed-rate phase
SECONDS = float(os.environ.get("UPDATES_SECONDS", "10"))
OPEN = int(os.environ.get("UPDATES_OPEN", "6000"))  # updates pushed at once
WHICH = os.environ.get("UPDATES_DB", "both")  # the bot's database: sqlite, postgres or both
GOAL_RATE = 1000.0  # updates a second per process
GOAL_P99 = 0.050  # seconds
TICK = 0.005  # the load generator pushes what is due every TICK seconds
DRAIN = 60.0  # a phase whose answers stop coming for this long is over (a hang guard)
LIMIT = 120.0  # a bot that does not poll by then failed to start
IDLE = 3.0  # seconds the bot's CPU is read with no load, after the setup
# The bot's own limits, far above the load: no reply waits for the rate limiter.
UNPACED = {
    "RATE_GLOBAL_PER_SECOND": "1000000",
    "RATE_PRIVATE_PER_SECOND": "100000",
    "RATE_PRIVATE_BURST": "100",
    "RATE_GROUP_PER_MINUTE": "1000000",
    "RATE_PAID_PER_SECOND": "1000000",
    "RATE_MARGIN_SECONDS": "0",
}


def _known(i: int) -> bool:
    """Seeded users who did not block the bot (``benchmarks.seed``: ``i % 50 == 7`` did)."""
    return i % 50 != 7


@dataclass
class Phase:
    """One phase's figures."""

    pushed: int = 0
    answered: int = 0
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    window: float = 0.0  # first push to last answer, seconds
    bot_cpu: float = 0.0
    sandbox_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.answered / self.window if self.window else 0.0

    def percentile(self, share: float, kind: str | None = None) -> float:
        ordered = sorted(self.latencies if kind is None else self.by_kind.get(kind, []))
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def cpu_ms(self, cpu: float) -> float:
        """Milliseconds of CPU per update (= seconds per 1,000 updates)."""
        return cpu / self.pushed * 1000 if self.pushed else float("nan")


class Answers:
    """Watches the sandbox's world: when each pushed update got its answer."""

    def __init__(self) -> None:
        self.commands: dict[int, deque[float]] = {}  # chat -> push times of /balance waiting
        self.presses: dict[str, float] = {}  # callback query id -> push time
        self.buttons: dict[int, tuple[SentMessage, str]] = {}  # chat -> (message, data)
        self.latencies: list[float] = []
        self.by_kind: dict[str, list[float]] = {"balance": [], "press": []}
        self.last = 0.0
        self.setup_replies = 0
        self.other = Counter[str]()

    def reset(self) -> None:
        self.latencies, self.last = [], 0.0
        self.by_kind = {"balance": [], "press": []}

    def __call__(self, kind: str, what: Any) -> None:
        now = time.monotonic()
        if kind == "sent" and isinstance(what, SentMessage):
            text = what.text or ""
            if "💰" in text:
                waiting = self.commands.get(what.chat_id)
                if waiting:
                    self._answered(now, waiting.popleft(), "balance")
                    return
            for button in what.buttons():
                data = str(button.get("callback_data") or "")
                if data.startswith("mission:done:"):
                    self.buttons[what.chat_id] = (what, data)
            self.setup_replies += 1
        elif kind == "answered" and isinstance(what, dict):
            pushed = self.presses.pop(str(what.get("callback_query_id")), None)
            if pushed is not None:
                self._answered(now, pushed, "press")
        elif kind in ("sent", "edited"):
            self.other[kind] += 1

    def _answered(self, now: float, pushed: float, kind: str) -> None:
        self.latencies.append(now - pushed)
        self.by_kind[kind].append(now - pushed)
        self.last = now


class Load:
    """Pushes updates into the sandbox: ``/balance`` and Done presses, spread over users."""

    def __init__(self, sandbox: _TimedSandbox, answers: Answers, users: list[int]) -> None:
        self.world, self.answers, self.users = sandbox.world, answers, users
        self._next = 0
        self._kind = 0

    def push_one(self) -> None:
        user = self.users[self._next % len(self.users)]
        self._next += 1
        self._kind += 1
        button = self.answers.buttons.get(user)
        now = time.monotonic()
        if self._kind % 2 and button is not None:
            message, data = button
            self.answers.presses[self.world.press(user, message, data)] = now
        else:
            self.answers.commands.setdefault(user, deque()).append(now)
            self.world.send_text(user, "/balance")

    async def at_rate(self, rate: float, seconds: float) -> int:
        """Push ``rate`` updates a second for ``seconds``; how many were pushed."""
        start, pushed, total = time.monotonic(), 0, int(rate * seconds)
        while pushed < total:
            due = min(total, int((time.monotonic() - start) * rate) + 1)
            while pushed < due:
                self.push_one()
                pushed += 1
            await asyncio.sleep(TICK)
        return pushed

    async def at_once(self, count: int) -> int:
        for pushed in range(count):
            self.push_one()
            if pushed % 1000 == 999:
                await asyncio.sleep(0)  # let the sandbox answer polls between chunks
        return count


def _sandbox_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _drained(answers: Answers, expected: int) -> None:
    """Wait until ``expected`` answers came, or none came for DRAIN seconds (a hang guard)."""
    seen, quiet_since = -1, time.monotonic()
    while len(answers.latencies) < expected:
        if len(answers.latencies) != seen:
            seen, quiet_since = len(answers.latencies), time.monotonic()
        elif time.monotonic() - quiet_since > DRAIN:
            return
        await asyncio.sleep(0.05)


async def _phase(answers: Answers, pid: int, push: Any) -> Phase:
    answers.reset()
    cpu0, own0, start = cpu_seconds(pid), _sandbox_cpu(), time.monotonic()
    pushed = await push()
    await _drained(answers, pushed)
    phase = Phase(pushed, len(answers.latencies), answers.latencies, answers.by_kind)
    phase.window = (answers.last or time.monotonic()) - start
    phase.bot_cpu, phase.sandbox_cpu = cpu_seconds(pid) - cpu0, _sandbox_cpu() - own0
    return phase


async def _setup(sandbox: _TimedSandbox, answers: Answers, users: list[int]) -> None:
    """Every user sends /mission; wait for every answer (its Done button noted)."""
    for n, user in enumerate(users):
        sandbox.world.send_text(user, "/mission")
        if n % 500 == 499:
            await asyncio.sleep(0.05)
    seen, quiet_since = -1, time.monotonic()
    while answers.setup_replies < len(users):
        if answers.setup_replies != seen:
            seen, quiet_since = answers.setup_replies, time.monotonic()
        elif time.monotonic() - quiet_since > DRAIN:
            raise RuntimeError(f"setup: {answers.setup_replies} of {len(users)} answered")
        await asyncio.sleep(0.05)


async def run_bot(
    argv: list[str], env: dict[str, str], log: Path, *, profiled: bool = False
) -> dict[str, Phase]:
    """Start a bot against a fresh sandbox, run the phases, stop it. ``profiled``: the bot
    is ``benchmarks._updates_profiled``, profiled during the fixed-rate phase alone (the
    only phase then run)."""
    sandbox = _TimedSandbox(limits=FloodLimits.lifted())
    base_url = await sandbox.start()
    answers = Answers()
    sandbox.world.watchers.append(answers)
    users = [i for i in range(1, USERS + 1) if _known(i)]
    env = {**env, "TELEGRAM_API_BASE_URL": base_url}
    with log.open("w") as errors:
        proc = await asyncio.create_subprocess_exec(
            *argv, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=errors
        )
    try:
        start = time.monotonic()
        while sandbox.first_poll is None:
            if proc.returncode is not None or time.monotonic() - start > LIMIT:
                raise RuntimeError(f"{argv} did not start polling; see {log}")
            await asyncio.sleep(0.02)
        await _setup(sandbox, answers, users)
        idle = cpu_seconds(proc.pid)
        await asyncio.sleep(IDLE)  # the measured interval itself: the bot's CPU with no load
        results = {"idle": Phase(window=IDLE, bot_cpu=cpu_seconds(proc.pid) - idle)}
        load = Load(sandbox, answers, users)
        if profiled:
            proc.send_signal(signal.SIGUSR1)
        results["fixed"] = await _phase(answers, proc.pid, lambda: load.at_rate(RATE, SECONDS))
        if profiled:
            proc.send_signal(signal.SIGUSR2)
            return results
        results["open"] = await _phase(answers, proc.pid, lambda: load.at_once(OPEN))
        return results
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
        await sandbox.stop()


def _seed(python: str, url: str) -> None:
    argv = [python, "-m", "benchmarks.seed", "--users", str(USERS), "--days", "1"]
    subprocess.run([*argv, "--database-url", url], cwd=ROOT, check=True, capture_output=True)


def _table(results: dict[str, dict[str, Phase]]) -> None:
    print(
        f"{'':<34}{'updates':>8}{'answered':>9}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"
        f"{'per s':>8}{'bot CPU s/1k':>13}{'sandbox CPU s/1k':>17}"
    )
    for name, phases in results.items():
        for label, phase in phases.items():
            if label == "idle":
                continue
            what = f"at {RATE:,}/s" if label == "fixed" else "as fast as it goes"
            p50, p99 = phase.percentile(0.5) * 1000, phase.percentile(0.99) * 1000
            top = max(phase.latencies, default=float("nan")) * 1000
            row = f"{name}, {what}"
            print(
                f"{row:<34}{phase.pushed:>8,}{phase.answered:>9,}{p50:>10,.1f}{p99:>10,.1f}"
                f"{top:>10,.0f}{phase.rate:>8.0f}{phase.cpu_ms(phase.bot_cpu):>13.3f}"
                f"{phase.cpu_ms(phase.sandbox_cpu):>17.3f}"
            )
            for kind, label_of in (("balance", "  /balance"), ("press", "  Done press")):
                times = phase.by_kind.get(kind, [])
                k50, k99 = phase.percentile(0.5, kind) * 1000, phase.percentile(0.99, kind) * 1000
                print(f"{label_of:<34}{'':>8}{len(times):>9,}{k50:>10,.1f}{k99:>10,.1f}")


def _ratios(name: str, bot: dict[str, Phase], plain: dict[str, Phase]) -> list[str]:
    fixed, base = bot["fixed"], plain["fixed"]
    lines = [
        f"{name} / plain at {RATE:,}/s: "
        f"p50 {fixed.percentile(0.5) / base.percentile(0.5):.1f}x, "
        f"p99 {fixed.percentile(0.99) / base.percentile(0.99):.1f}x, "
        f"CPU per update {fixed.bot_cpu / fixed.pushed / (base.bot_cpu / base.pushed):.1f}x",
        f"{name} / plain as fast as it goes: {bot['open'].rate / plain['open'].rate:.2f}x "
        "the updates a second",
    ]
    rate_met = fixed.rate >= 0.98 * GOAL_RATE and bot["open"].rate >= GOAL_RATE
    p99_met = fixed.percentile(0.99) <= GOAL_P99
    lines.append(
        f"goal >= {GOAL_RATE:,.0f} updates/s: {'met' if rate_met else 'not met'} "
        f"(sustained {fixed.rate:,.0f}/s at {RATE:,}/s, {bot['open'].rate:,.0f}/s at most); "
        f"goal p99 <= {GOAL_P99 * 1000:.0f} ms: {'met' if p99_met else 'not met'} "
        f"({fixed.percentile(0.99) * 1000:,.1f} ms at {RATE:,}/s)"
    )
    for who, phases in ((name, bot), ("the plain bot", plain)):
        busy = max(p.sandbox_cpu / p.window for p in phases.values() if p.window)
        if busy > 0.85:
            lines.append(
                f"note: the sandbox used {busy:.0%} of a core while serving {who}: it, not "
                "the bot, may have set the pace"
            )
    return lines


# pstats' raw entries: (file, line, function) -> (primitive calls, calls, own, cumulative, ...)
Entry = tuple[tuple[str, int, str], tuple[int, int, float, float, Any]]


def profile(path: Path, updates: int, limit: int = 20) -> list[str]:
    """The functions the bot spent most time in (own time), and own time by package; the
    event loop's wait for sockets (``epoll``) left out: it is idle time, not work. Then the
    SQL statements and commits per update (SQLAlchemy's, counted with the jobs' few)."""
    raw: dict[Any, Any] = vars(pstats.Stats(str(path)))["stats"]
    entries: list[Entry] = list(raw.items())
    working = [e for e in entries if "epoll" not in e[0][2]]
    total = sum(row[2] for _key, row in working) or 1.0
    idle = sum(row[2] for key, row in entries if "epoll" in key[2])
    lines = [f"own time {total:.1f} s under cProfile (and {idle:.1f} s waiting in epoll):"]
    for (file, line, name), row in sorted(working, key=lambda e: e[1][2], reverse=True)[:limit]:
        where = _short(file) if file == "~" else f"{_short(file)}:{line}"
        lines.append(f"  {row[2] / total:6.1%} {row[1]:>9,} calls  {name} ({where})")
    packages: Counter[str] = Counter()
    for (file, _line, name), row in working:
        where = _short(file)
        parts = where.split("/")
        if where == "~":
            packages[f"built-in {name}"] += row[2]
        else:
            packages["/".join(parts[:3]) if where.startswith("bot/") else parts[0]] += row[2]
    lines.append("own time by package (bot/ by module, built-ins by name):")
    lines += [f"  {t / total:6.1%} {name}" for name, t in packages.most_common(limit)]
    counted = {("engine/default.py", "_init_compiled"): "SQL statements"}
    counted[("engine/base.py", "commit")] = "commits"
    for (file_end, function), label in counted.items():
        calls = sum(row[1] for (f, _l, n), row in entries if f.endswith(file_end) and n == function)
        lines.append(f"{label} per update: {calls / updates:.1f} ({calls:,} in the phase)")
    return lines


def _short(file: str) -> str:
    return file.replace(ROOT + "/", "").split("site-packages/")[-1].split("python3.11/")[-1]


async def _companion(
    python: str, url: str, folder: Path, name: str, *, profiled: bool = False
) -> dict[str, Phase]:
    """The bot on a database seeded at ``url`` (SQLite: a copy of that file, per run)."""
    if url.startswith("sqlite"):
        template = Path(url.split("///", 1)[1])
        database = folder / f"{name}.sqlite3"
        shutil.copyfile(template, database)
        url = f"sqlite+aiosqlite:///{database}"
    env = {**_env("", url), **UNPACED, "PYTHONPATH": ROOT}
    log = folder / f"{name}.log"
    argv = [python, "-m", "bot", "run"]
    if profiled:
        argv = [python, "-m", "benchmarks._updates_profiled", str(folder / f"{name}.prof")]
    phases = await run_bot(argv, env, log, profiled=profiled)
    errors = sum("error" in line.lower() for line in log.read_text().splitlines())
    if errors:
        print(f"{name}: the bot logged {errors} error lines (see the log of a rerun)")
    return phases


def _report(results: dict[str, dict[str, Phase]], plain: dict[str, Phase]) -> bool:
    """The table, the ratios and the goals; whether a goal was not met."""
    _table(results)
    unmet = False
    for name, phases in results.items():
        if name == "plain PTB bot":
            continue
        for line in _ratios(name, phases, plain):
            print(line)
        fixed = phases["fixed"]
        unmet |= fixed.percentile(0.99) > GOAL_P99 or phases["open"].rate < GOAL_RATE
    for name, phases in results.items():
        idle = phases["idle"]
        per_second = idle.bot_cpu / idle.window * 1000
        print(f"{name} idle after the setup: {per_second:.0f} ms CPU a second")
    return unmet


def _heading(database: str, seeded: float) -> None:
    print(
        f"{database}, {USERS:,} seeded users (seeded in {seeded:.0f} s), no Redis, sandbox Bot "
        "API with Telegram's limits lifted, runtime-only install; half /balance, half a "
        f"Done press. The sandbox runs in this process, on the machine's {os.cpu_count()} "
        "cores with the bot"
    )


async def _seeded(python: str, url: str) -> float:
    began = time.monotonic()
    await asyncio.to_thread(_seed, python, url)
    return time.monotonic() - began


async def _on_postgres(python: str, server: str, plain_file: Path) -> None:
    """Under ``tests/postgres.sh``: the bot on PostgreSQL, read against the plain bot's
    figures the SQLite half measured."""
    figures = json.loads(await asyncio.to_thread(plain_file.read_text))
    plain = {k: Phase(**v) for k, v in figures.items()}
    seeded = await _seeded(python, server)
    with tempfile.TemporaryDirectory() as tmp:
        results = {"Companion, PostgreSQL": await _companion(python, server, Path(tmp), "pg")}
    _heading("PostgreSQL", seeded)
    _report(results, plain)


async def main() -> None:
    python = await asyncio.to_thread(runtime_python)
    server = os.environ.get("COMPANION_TEST_POSTGRES_URL")
    if server and os.environ.get("UPDATES_PLAIN"):
        await _on_postgres(python, server, Path(os.environ["UPDATES_PLAIN"]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite+aiosqlite:///{folder / 'seeded.sqlite3'}"
        seeded = await _seeded(python, url)
        plain_env = {**_env("", "sqlite+aiosqlite:///unused"), "PYTHONPATH": ROOT}
        plain = await run_bot(
            [python, "-m", "benchmarks._plain_ptb_updates"], plain_env, folder / "plain.log"
        )
        results = {"plain PTB bot": plain}
        if WHICH in ("sqlite", "both"):
            results["Companion"] = await _companion(python, url, folder, "bot")
        _heading("SQLite", seeded)
        unmet = _report(results, plain)
        if unmet and "Companion" in results and os.environ.get("PROFILE", "1") != "0":
            profiled = await _companion(python, url, folder, "profiled", profiled=True)
            fixed = profiled["fixed"]
            print(
                f"profile: the bot once more at {RATE:,}/s under cProfile, the phase alone "
                f"(slowed by it: p99 {fixed.percentile(0.99) * 1000:.0f} ms, "
                f"{fixed.rate:,.0f}/s, {fixed.cpu_ms(fixed.bot_cpu):.2f} CPU s/1k)"
            )
            out = folder / "profiled.prof"
            lines = profile(out, fixed.pushed) if out.exists() else ["  no profile written"]
            for line in lines:
                print(line)
        if WHICH in ("postgres", "both"):
            plain_file = folder / "plain.json"
            plain_file.write_text(json.dumps({k: asdict(v) for k, v in plain.items()}))
            script = str(Path(ROOT) / "tests" / "postgres.sh")
            command = ["bash", script, sys.executable, "-m", "benchmarks.updates"]
            env = {**os.environ, "UPDATES_PLAIN": str(plain_file)}
            await asyncio.to_thread(subprocess.run, command, cwd=ROOT, check=True, env=env)


if __name__ == "__main__":
    asyncio.run(main())
