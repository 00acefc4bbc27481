"""Campaigns at a million users, beside today's ``/broadcast``, on SQLite and PostgreSQL.

``python -m benchmarks campaigns`` (``make bench BENCH=campaigns``). A temporary SQLite
database, then a throw-away PostgreSQL server (``tests/postgres.sh``), each with 1,000,000
users written by SQL alone (``_campaigns_data.py``), in the same run:

1. **Counting a segment** of 100,000 (``lang:uk seen:30d``, and ``tag:segment``, a module's
   table): the audience's ``count_query`` (what the admin is shown before confirming), beside a
   plain ``SELECT count(*) FROM users`` (median of COUNTS each).
2. **Queueing it**: ``scheduled.queue``, what a confirmed ``/broadcast <audience>`` runs
   (median of ROUNDS, the outbox emptied before each), beside today's everyone-broadcast
   (``queue_broadcast`` with no audience) of the same database.
3. **A local-time campaign** (``local:09:00``) to 100,000 and to everyone: the time to queue,
   and this process's memory while it runs (peak resident set above the level before, sampled
   every few milliseconds, and tracemalloc's peak of Python's allocations); then, for the
   recipients with ``id % SAMPLE_EVERY == 0`` (10,000), each row's due time against their
   zone's next 09:00 worked out here with ``zoneinfo``.
4. **Stop and delete** a 100,000 campaign whose copies were all delivered an hour ago (a bulk
   UPDATE marks them sent, with message ids), with the million local-time rows still waiting
   in the outbox: ``undo.delete_rows``, what ``/deletebroadcast`` runs; then again (queues
   nothing), and its steps one by one once more, to show where the time goes. The deletions go
   out through the outbox: the time they would take paced at the configured global rate is
   worked out from it.
5. **Stop and delete sent for real** (``_campaigns_live.py``, its own process): LIVE copies
   delivered through the sandbox, then deleted by the running bot, against the sandbox with
   Telegram's limits on: the rate the deletions went at and the 429s answered.

The engagement roll-up for a million users is ``make bench BENCH=analytics``. For a quick look:
``CAMPAIGNS_BENCH_USERS=20000 CAMPAIGNS_BENCH_LIVE=100 python -m benchmarks campaigns``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarks._campaigns_data import USERS, clear_outbox, populate
from benchmarks.seed import ZONES
from bot.app import build_application, load_models
from bot.core.context import Services, services_of
from bot.core.delivery import OutboxMessage, OutboxStatus
from bot.core.kernel import rowcount
from bot.core.kernel.logging import configure_logging
from bot.core.people import Scope, User, parse_audience
from bot.modules.broadcast import control, scheduled, service, undo, when
from bot.modules.broadcast.service import of_broadcast
from bot.settings import CompanionSettings

ROOT = Path(__file__).resolve().parent.parent
COUNTS = 5
ROUNDS = 3
SAMPLE_EVERY = 100  # the local-time check reads the rows of users with id % 100 == 0
SEGMENTS = ("lang:uk seen:30d", "tag:segment")
TEXT = "Companion news: the winter season starts today."
ADMIN = 1
PLAIN = "SELECT count(*) FROM users"  # the baseline of a count
LIVE = int(os.environ.get("CAMPAIGNS_BENCH_LIVE", "3000"))  # 0: no live stop and delete
OUT = "CAMPAIGNS_BENCH_OUT"  # where the PostgreSQL half writes its figures (JSON)
Figures = dict[str, Any]
T = TypeVar("T")


# -- measuring ------------------------------------------------------------------------------
def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class _Memory:
    """This process's resident set sampled in a thread while a call runs: the peak above the
    level before it, and tracemalloc's peak of Python's allocations."""

    def __init__(self) -> None:
        self.before = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> _Memory:
        tracemalloc.start()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())
        self.traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

    @property
    def growth(self) -> float:
        return self.peak - self.before


async def _timed(call: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    started = time.perf_counter()
    result = await call()
    return time.perf_counter() - started, result


# -- the steps ------------------------------------------------------------------------------
async def _counts(services: Services) -> Figures:
    """Each segment's ``count_query`` and a plain count of the users, COUNTS times each,
    interleaved; the medians in seconds and the segments' sizes."""
    registry, db = services.audience, services.db
    scope = Scope(services.clock.now(), services.settings.tz.key)
    queries: dict[str, Any] = {PLAIN: select(func.count()).select_from(User)}
    queries["everyone (reachable)"] = registry.count_query(parse_audience(""), scope)
    for line in SEGMENTS:
        queries[line] = registry.count_query(parse_audience(line), scope)
    times: dict[str, list[float]] = {name: [] for name in queries}
    found: dict[str, int] = {}
    for _round in range(COUNTS):
        for name, query in queries.items():
            async with db.session() as session:
                seconds, n = await _timed(partial(session.scalar, query))
            times[name].append(seconds)
            found[name] = int(n or 0)
    return {name: {"seconds": statistics.median(t), "n": found[name]} for name, t in times.items()}


async def _campaign(
    services: Services, audience: str, schedule: when.When, anchor: datetime
) -> tuple[float, _Memory, int, int]:
    """Queue a campaign as a confirmed ``/broadcast`` does: (seconds, memory, id, rows)."""

    async def run() -> tuple[int, int]:
        async with services.db.session() as session:
            queued = await scheduled.queue(
                session,
                services,
                text=TEXT,
                admin_id=ADMIN,
                audience=parse_audience(audience),
                schedule=schedule,
                anchor=anchor,
            )
        return queued.id, queued.total

    with _Memory() as memory:
        seconds, (broadcast_id, total) = await _timed(run)
    return seconds, memory, broadcast_id, total


async def _everyone(services: Services) -> tuple[float, _Memory, int]:
    """Today's ``/broadcast``: ``queue_broadcast`` to every reachable user, now."""

    async def run() -> int:
        async with services.db.session() as session:
            queued = await service.queue_broadcast(
                session, text=TEXT, admin_id=ADMIN, now=services.clock.now()
            )
        return queued.total

    with _Memory() as memory:
        seconds, total = await _timed(run)
    return seconds, memory, total


def _memory(memory: _Memory) -> Figures:
    return {"rss_growth_mb": memory.growth, "traced_peak_mb": memory.traced}


async def _queues(services: Services) -> Figures:
    figures: Figures = {}
    await clear_outbox(services.db)
    seconds, memory, total = await _everyone(services)
    figures["everyone"] = {"seconds": seconds, "rows": total, **_memory(memory)}
    for line in SEGMENTS:
        runs = []
        for _round in range(ROUNDS):
            await clear_outbox(services.db)
            now = services.clock.now()
            seconds, memory, _id, total = await _campaign(services, line, when.When(), now)
            runs.append((seconds, memory, total))
        middle = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        figures[line] = {"seconds": middle[0], "rows": middle[2], **_memory(middle[1])}
    return figures


def _expected(zone: ZoneInfo, anchor: datetime) -> datetime:
    """The zone's first 09:00 after ``anchor``, from zoneinfo alone."""
    day = anchor.astimezone(zone).date() - timedelta(days=1)
    while True:
        candidate = datetime.combine(day, clock(9), zone).astimezone(UTC)
        if candidate > anchor:
            return candidate
        day += timedelta(days=1)


async def _local_check(services: Services, broadcast_id: int, anchor: datetime) -> Figures:
    """The due times of the sampled recipients against their zone's 09:00."""
    o = OutboxMessage
    bot_zone = services.settings.tz
    async with services.db.session() as session:
        rows = (
            await session.execute(
                select(o.next_attempt_at, User.timezone)
                .join(User, User.id == o.user_id)
                .where(*of_broadcast(session, broadcast_id), o.user_id % SAMPLE_EVERY == 0)
            )
        ).all()
        distinct = await session.scalar(
            select(func.count(func.distinct(o.next_attempt_at))).where(
                *of_broadcast(session, broadcast_id)
            )
        )
    worst = 0.0
    latest = timedelta(0)
    for due, name in rows:
        due_utc = due if due.tzinfo else due.replace(tzinfo=UTC)
        zone = ZoneInfo(name) if name else bot_zone
        worst = max(worst, abs((due_utc - _expected(zone, anchor)).total_seconds()))
        latest = max(latest, due_utc - anchor)
    return {
        "sampled": len(rows),
        "max_deviation_s": worst,
        "latest_hours": latest.total_seconds() / 3600,
        "distinct_due_times": int(distinct or 0),
    }


async def _local(services: Services) -> Figures:
    figures: Figures = {}
    nine = when.When(at=clock(9), local=True)
    await clear_outbox(services.db)
    anchor = services.clock.now()
    seconds, memory, _id, total = await _campaign(services, "tag:segment", nine, anchor)
    figures["segment"] = {"seconds": seconds, "rows": total, **_memory(memory)}
    await clear_outbox(services.db)
    anchor = services.clock.now()
    seconds, memory, broadcast_id, total = await _campaign(services, "", nine, anchor)
    figures["everyone"] = {"seconds": seconds, "rows": total, **_memory(memory)}
    figures["check"] = await _local_check(services, broadcast_id, anchor)
    return figures  # the million rows stay: the outbox the deletion works beside


async def _stop_and_delete(services: Services) -> Figures:
    """A 100,000 campaign delivered an hour ago, stopped and deleted; twice."""
    now = services.clock.now()
    seconds, _memory, broadcast_id, total = await _campaign(
        services, "tag:segment", when.When(), now
    )
    o = OutboxMessage
    async with services.db.session() as session:
        marked = await session.execute(
            update(o)
            .where(*of_broadcast(session, broadcast_id))
            .values(
                status=OutboxStatus.SENT,
                message_id=o.user_id + 7,
                sent_at=now - timedelta(hours=1),
            )
            .execution_options(synchronize_session=False)
        )
    delivered = rowcount(marked)
    waiting = await _outbox_rows(services)

    async def delete() -> undo.Deleted:
        async with services.db.session() as session:
            return await undo.delete_rows(session, broadcast_id, services.clock.now())

    first_s, first = await _timed(delete)
    again_s, again = await _timed(delete)
    parts = await _delete_parts(services, broadcast_id)
    rate = services.settings.rate_global_per_second
    return {
        "queued_beside_s": seconds,
        "delivered": delivered,
        "outbox_rows": waiting,
        "seconds": first_s,
        "queued": first.queued,
        "again_seconds": again_s,
        "again_queued": again.queued,
        "parts_s": parts,
        "rate_per_s": rate,
        "drain_s": first.queued / rate,
        "rows": total,
    }


async def _delete_parts(services: Services, broadcast_id: int) -> dict[str, float]:
    """Where a stop-and-delete's time goes: its steps one by one, asked a third time (each
    reads the broadcast's rows as the first call does; none has anything left to do)."""
    now = services.clock.now()
    steps: dict[str, Callable[[AsyncSession], Awaitable[object]]] = {
        "cancel_waiting": lambda session: control.cancel_waiting(session, broadcast_id, now),
        "queue_deletions": lambda session: undo.queue_deletions(session, broadcast_id, now),
        "undone": lambda session: undo.undone(session, broadcast_id, now),
    }
    parts = {}
    for name, step in steps.items():
        async with services.db.session() as session:
            parts[name], _result = await _timed(partial(step, session))
    return parts


async def _outbox_rows(services: Services) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


# -- one database -----------------------------------------------------------------------------
async def measure(url: str, name: str, folder: Path) -> Figures:
    """Build the million users at ``url`` (empty) and take every figure."""
    settings = CompanionSettings(
        _env_file=None,
        database_url=url,
        telegram_api_base_url="http://127.0.0.1:9/bot",
        bot_token="123456:CAMPAIGNS-bench-token",
        admin_ids=str(ADMIN),
        log_level="WARNING",
        media_dir=folder / "media",
    )
    services = services_of(build_application(settings))
    db = services.db
    async with db.engine.begin() as connection:
        await connection.run_sync(load_models().create_all)
    built, _none = await _timed(lambda: populate(db, services.clock.now()))
    print(f"{name}: {USERS:,} users in {len(ZONES) + 1} zones built in {built:.0f} s", flush=True)
    figures: Figures = {"engine": name, "built_s": built}
    figures["counts"] = await _counts(services)
    _print_counts(figures["counts"])
    figures["queues"] = await _queues(services)
    _print_queues(figures["queues"])
    figures["local"] = await _local(services)
    _print_local(figures["local"])
    figures["delete"] = await _stop_and_delete(services)
    _print_delete(figures["delete"], figures["queues"])
    await db.dispose()
    return figures


# -- printing -------------------------------------------------------------------------------
def _print_counts(counts: Figures) -> None:
    base = counts[PLAIN]["seconds"]
    print(f"  counting (median of {COUNTS}; goal for a segment: at most 1 s on PostgreSQL)")
    for label, found in counts.items():
        seconds = found["seconds"]
        print(
            f"    {label:28} {found['n']:>9,} users  {seconds * 1000:8.1f} ms"
            f"  ({seconds / base:5.1f}x the plain count)"
        )


def _print_queues(queues: Figures) -> None:
    base = queues["everyone"]
    print(f"  queueing now (segments: median of {ROUNDS}; goal: at most 3 s on PostgreSQL)")
    for label, found in queues.items():
        title = "today's /broadcast to everyone" if label == "everyone" else label
        print(
            f"    {title:32} {found['rows']:>9,} rows  {found['seconds']:7.2f} s"
            f"  ({found['seconds'] / base['seconds']:.2f}x /broadcast's time,"
            f" {found['rows'] / base['rows']:.0%} of its rows)"
            f"  {_memory_text(found)}"
        )


def _memory_text(found: Figures) -> str:
    return f"memory +{found['rss_growth_mb']:.1f} MB RSS, {found['traced_peak_mb']:.2f} MB traced"


def _print_local(local: Figures) -> None:
    print("  local:09:00 (each recipient's next 09:00 in their own zone)")
    for label in ("segment", "everyone"):
        found = local[label]
        print(
            f"    {label:10} {found['rows']:>9,} rows  {found['seconds']:7.2f} s"
            f"  {_memory_text(found)}"
        )
    check = local["check"]
    print(
        f"    {check['sampled']:,} sampled rows: largest gap from the zone's 09:00"
        f" {check['max_deviation_s']:.0f} s; all within {check['latest_hours']:.1f} h of queueing;"
        f" {check['distinct_due_times']} distinct due times"
    )


def _print_delete(found: Figures, queues: Figures) -> None:
    segment = queues["tag:segment"]["seconds"]
    print(
        f"  stop and delete {found['delivered']:,} delivered copies"
        f" (the outbox holding {found['outbox_rows']:,} rows)"
    )
    print(
        f"    deletions queued: {found['queued']:,} in {found['seconds']:.2f} s"
        f" ({found['seconds'] / segment:.2f}x queueing that segment);"
        f" asked again: {found['again_queued']:,} in {found['again_seconds']:.2f} s"
    )
    parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in found["parts_s"].items())
    print(f"    its steps asked once more: {parts}")
    print(
        f"    paced at the configured {found['rate_per_s']:g}/s they would take"
        f" {found['drain_s'] / 60:.1f} minutes",
        flush=True,
    )


def live_stop_and_delete() -> Figures | None:
    """LIVE copies delivered and deleted through the sandbox by the running bot."""
    if not LIVE:
        return None
    command = [sys.executable, "-m", "benchmarks._campaigns_live", str(LIVE)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        print(f"  live stop and delete failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return None
    found: Figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"live stop and delete through the sandbox (Telegram's limits on): {found['delivered']:,}"
        f" delivered, {found['deleted']:,} deleted in {found['seconds']:.1f} s"
        f" ({found['sends_per_s']:.0f}/s; configured global rate {found['rate_per_s']:g}/s),"
        f" {found['too_many_requests']} 429s, {found['left']} copies left",
        flush=True,
    )
    return found


def _side_by_side(sqlite: Figures, postgres: Figures | None) -> None:
    engines = [sqlite] if postgres is None else [sqlite, postgres]
    counts, queues, local = sqlite["counts"], sqlite["queues"], sqlite["local"]
    rows: list[tuple[str, list[str]]] = []
    plain = counts["SELECT count(*) FROM users"]["n"]
    rows.append((f"plain count(*) of {plain:,} users", [_ms(f, "counts", PLAIN) for f in engines]))
    for line in SEGMENTS:
        label = f"count `{line}` ({counts[line]['n']:,})"
        rows.append((label, [_ms(f, "counts", line) for f in engines]))
    label = f"today's /broadcast queued ({queues['everyone']['rows']:,})"
    rows.append((label, [_s(f, "queues", "everyone") for f in engines]))
    for line in SEGMENTS:
        label = f"queue `{line}` ({queues[line]['rows']:,})"
        rows.append((label, [_s(f, "queues", line) for f in engines]))
    for part in ("segment", "everyone"):
        label = f"local:09:00 to {local[part]['rows']:,}: queued"
        rows.append((label, [_s(f, "local", part) for f in engines]))
    label = f"  peak RSS growth, {local['segment']['rows']:,} / {local['everyone']['rows']:,}"
    rows.append((label, [_growth(f) for f in engines]))
    label = f"  largest gap from local 09:00, {local['check']['sampled']:,} sampled"
    rows.append((label, [f"{f['local']['check']['max_deviation_s']:.0f} s" for f in engines]))
    label = f"stop and delete {sqlite['delete']['delivered']:,} delivered: queued"
    rows.append((label, [_s(f, "delete") for f in engines]))
    label = "  paced at the configured rate they would take"
    rows.append((label, [_drain(f) for f in engines]))
    header = ["", *(f["engine"] for f in engines)]
    widths = [len(h) for h in header]
    for label, cells in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, [label, *cells], strict=True)]
    print("\nside by side:")
    for label, cells in [(header[0], header[1:]), *rows]:
        right = (c.rjust(w) for c, w in zip(cells, widths[1:], strict=True))
        print("  ".join([label.ljust(widths[0]), *right]))
    if postgres is None:
        print("PostgreSQL: not measured (it could not start; `make postgres` installs it)")


def _growth(f: Figures) -> str:
    local = f["local"]
    return f"{local['segment']['rss_growth_mb']:.1f} / {local['everyone']['rss_growth_mb']:.1f} MB"


def _drain(f: Figures) -> str:
    return f"{f['delete']['drain_s'] / 60:.1f} min at {f['delete']['rate_per_s']:g}/s"


def _ms(f: Figures, *path: str) -> str:
    return f"{_at(f, path)['seconds'] * 1000:,.0f} ms"


def _s(f: Figures, *path: str) -> str:
    return f"{_at(f, path)['seconds']:.2f} s"


def _at(f: Figures, path: tuple[str, ...]) -> Figures:
    for key in path:
        f = f[key]
    return f


async def main() -> None:
    """SQLite here, then PostgreSQL: this benchmark again in a throw-away server
    (``tests/postgres.sh``), which runs the PostgreSQL half only and hands its figures back."""
    configure_logging("WARNING")
    server = os.environ.get("COMPANION_TEST_POSTGRES_URL")
    if server:
        with tempfile.TemporaryDirectory() as scratch:
            figures = await measure(server, "PostgreSQL", Path(scratch))
        handed = os.environ.get(OUT)
        if handed:
            await asyncio.to_thread(Path(handed).write_text, json.dumps(figures))
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
        sqlite = await measure(url, "SQLite", folder)
        live = await asyncio.to_thread(live_stop_and_delete)
        out = folder / "postgres.json"
        script = ROOT / "tests" / "postgres.sh"
        command = ["bash", str(script), sys.executable, "-m", "benchmarks", "campaigns"]
        environment = {**os.environ, OUT: str(out)}
        done = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, env=environment)
        postgres = json.loads(out.read_text()) if done.returncode == 0 and out.exists() else None
    _side_by_side(sqlite, postgres)
    if live is not None:
        print(
            f"stop and delete sent for real: {live['deleted']:,} deletions at"
            f" {live['sends_per_s']:.0f}/s, {live['too_many_requests']} 429s"
        )


if __name__ == "__main__":
    asyncio.run(main())
