"""The restore drill: a working bot backed up while it writes, restored elsewhere, started
again; every balance, subscription end and queued message is there, nothing sent twice.

Bot A runs ``python -m bot run`` on a database with users, a ledger, a subscription and a
queued broadcast whose sends the sandbox holds (in flight, never answered: A is killed
with them). A writer in this process adds ledger rows while ``python -m bot backup`` runs,
and a restore onto A's database is refused while A lives. The backup is restored into a
fresh database by ``restore --to`` (the command line's code, in this process, as the refusal:
a process each would add half a minute on a loaded machine); bot B starts on it and sends the
broadcast: each user gets it exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.__main__ import main
from bot.core.delivery import OutboxMessage
from bot.modules.backups import files
from bot.modules.economy.models import Balance, LedgerEntry
from bot.modules.subscriptions.models import Subscription
from bot.sandbox import SandboxServer, SentMessage, World
from tests.conftest import _Backend, _pg_recreate, database_url, migrate, on_postgres
from tests.helpers.factories import grant, register_user
from tests.helpers.outbox import queue
from tests.helpers.owned import opened
from tests.helpers.processes import cli, kill, quiet, start_bot, stop

pytestmark = pytest.mark.timeout(600)  # three bot processes and three command lines

AUDIENCE = range(50_000, 50_020)
WRITER = 49_999  # the user whose ledger grows during the backup
FAST = {"INSTANCE_HEARTBEAT_SECONDS": "0.5", "INSTANCE_STALE_SECONDS": "2"}


async def _seed(url: str) -> dict[int, datetime]:
    """Users with ledgers and balances, a subscription each for the first five; their ends."""
    now = datetime.now(UTC)
    async with opened(url) as db:
        async with db.session() as session:
            for user_id in [*AUDIENCE, WRITER]:
                await register_user(session, user_id, now=now)
                amounts = [user_id % 7 + n for n in range(3)]
                for n, amount in enumerate(amounts):
                    session.add(
                        LedgerEntry(
                            user_id=user_id,
                            amount=amount,
                            reason="drill",
                            reference=str(n),
                            created_at=now,
                        )
                    )
                session.add(Balance(user_id=user_id, points=sum(amounts), streak=0))
            await session.commit()
        for n, user_id in enumerate(AUDIENCE[:5]):
            await grant(db, user_id, timedelta(days=30 + n), now)
        async with db.session() as session:
            rows = await session.execute(select(Subscription.user_id, Subscription.ends_at))
            return {int(u): e for u, e in rows}


async def _write(url: str, written: list[int], stop_writing: asyncio.Event) -> None:
    """One ledger row and its balance per transaction, until told to stop."""
    async with opened(url) as db:
        while not stop_writing.is_set():
            n = len(written)
            async with db.session() as session:
                session.add(
                    LedgerEntry(
                        user_id=WRITER,
                        amount=1,
                        reason="writer",
                        reference=str(n),
                        created_at=datetime.now(UTC),
                    )
                )
                balance = await session.get(Balance, WRITER)
                assert balance is not None
                balance.points += 1
                await session.commit()
            written.append(n)
            await asyncio.sleep(0.005)


async def _fresh_database(tmp_path: Path) -> str:
    """An empty database for the restore: a SQLite path not yet made, or a new PostgreSQL
    database (dropped after the test)."""
    url = database_url(tmp_path)
    if on_postgres():
        from sqlalchemy.engine import make_url

        name = str(make_url(url).database)
        await _pg_recreate(name, template=None)
        _Backend.created.append(name)
    return url


def _held(phase: dict[str, bool]) -> Any:
    """A sandbox hook that holds bot A's sends forever (in flight when A is killed)."""
    forever: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def hold(_params: dict[str, Any]) -> Awaitable[None] | None:
        return forever if phase["A"] else None

    return hold


async def test_backup_while_working_restores_everything_and_sends_nothing_twice(
    tmp_path: Path,
    sandbox: SandboxServer,
    schema_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The drill: balances, subscription ends and queued rows survive the round trip; the
    writer's rows in the backup are a whole prefix with their balance; the broadcast
    arrives once per user after the restore."""
    live, restored_dir = tmp_path / "live", tmp_path / "restored"
    live.mkdir()
    restored_dir.mkdir()
    url = database_url(live)
    await migrate(url, schema_template)
    ends = await _seed(url)
    await queue(url, AUDIENCE, sandbox=sandbox, tag="drill")
    phase = {"A": True}
    sandbox.before["sendMessage"] = _held(phase)
    world, folder = sandbox.world, tmp_path / "backups"
    a = await start_bot(tmp_path, sandbox.base_url, url, **FAST)
    written: list[int] = []
    stop_writing = asyncio.Event()
    writer = asyncio.create_task(_write(url, written, stop_writing))
    try:
        await world.wait_until(lambda: sandbox.stats["sendMessage"] >= 1, timeout=90)
        await world.wait_until(lambda: len(written) >= 5, timeout=60)
        at_start = len(written)
        code, out, err = await cli(
            tmp_path, "backup", DATABASE_URL=url, BACKUPS__FOLDER=str(folder)
        )
        assert code == 0, err
        assert len(written) > at_start  # the writer went on while the backup ran
        backup = Path(out.splitlines()[0])
        # Onto A's database, beside A: refused (the command line's code, in this process).
        for name, value in {"DATABASE_URL": url, "BACKUPS__FOLDER": str(folder)}.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        args = ["restore", str(backup), "--replace"]
        assert await asyncio.to_thread(main, args) == 2
        assert "a bot is running" in capsys.readouterr().err
    finally:
        stop_writing.set()
        await writer
        await kill(a)  # the machine is lost; the backup is what is left
    target = await _fresh_database(restored_dir)
    assert await asyncio.to_thread(main, ["restore", str(backup), "--to", target]) == 0
    assert "as counted" in capsys.readouterr().out
    manifest = files.read_manifest(backup)
    await _check_restored(target, ends, manifest.tables["transactions"])
    phase["A"] = False
    b = await start_bot(tmp_path, sandbox.base_url, target, OUTBOX_LEASE_SECONDS="1", **FAST)
    try:
        await world.wait_until(lambda: {m.chat_id for m in _drill(world)} >= set(AUDIENCE), 90)
        await quiet(sandbox, target)  # then nothing else may arrive
    finally:
        await stop(b)
    received = Counter(m.chat_id for m in _drill(world))
    assert received == Counter({user_id: 1 for user_id in AUDIENCE})


def _drill(world: World) -> list[SentMessage]:
    return [m for m in world.messages if (m.text or "").startswith("drill")]


async def _check_restored(url: str, ends: dict[int, datetime], transactions: int) -> None:
    async with opened(url) as db, db.session() as session:
        balances = dict((await session.execute(select(Balance.user_id, Balance.points))).all())
        sums = dict(
            (
                await session.execute(
                    select(LedgerEntry.user_id, func.sum(LedgerEntry.amount)).group_by(
                        LedgerEntry.user_id
                    )
                )
            ).all()
        )
        assert balances == sums and set(balances) >= {*AUDIENCE, WRITER}
        refs = (
            await session.scalars(
                select(LedgerEntry.reference).where(LedgerEntry.reason == "writer")
            )
        ).all()
        assert sorted(map(int, refs)) == list(range(len(refs)))  # a whole prefix
        assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == transactions
        found = dict(
            (await session.execute(select(Subscription.user_id, Subscription.ends_at))).all()
        )
        assert found == ends
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("drill:%")))
        ).all()
        assert len(rows) == len(AUDIENCE) and all(r.status == "pending" for r in rows)
