"""This process as the database knows it: an id and a heartbeat.

Work a process holds (outbox rows it claimed) is marked with its instance id. The
instance writes ``heartbeat_at`` every ``INSTANCE_HEARTBEAT_SECONDS``; a sibling or a
restarted process that sees a heartbeat older than ``INSTANCE_STALE_SECONDS`` deletes
that instance and takes its work over at once, instead of waiting for a lease to run
out. Heartbeats are wall-clock time, whatever clock the bot's business logic uses:
they are about real processes being alive.

An instance whose own row was deleted (it stalled long enough to be presumed dead)
learns it at its next heartbeat: ``lost`` callbacks run (its claims are void) and it
registers again under a new id. Until a heartbeat has succeeded recently, ``fresh``
is False, and a careful caller does not start new work it might share with a sibling.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, String, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base, Database, cancel_and_wait, get_logger, rowcount

log = get_logger(__name__)

BeatHook = Callable[[AsyncSession, str], Awaitable[None]]
LostHook = Callable[[str], Awaitable[None]]


class InstanceRow(Base):
    """One running process (or one bot inside a process) and when it was last alive."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime] = mapped_column(index=True)


def wall_now() -> datetime:
    return datetime.now(UTC)


def live_cutoff(stale_seconds: float) -> datetime:
    """Instances whose heartbeat is older than this are presumed dead."""
    return wall_now() - timedelta(seconds=stale_seconds)


async def live_ids(session: AsyncSession, stale_seconds: float) -> list[str]:
    query = select(InstanceRow.id).where(InstanceRow.heartbeat_at >= live_cutoff(stale_seconds))
    return list((await session.scalars(query)).all())


async def forget_stale(session: AsyncSession, stale_seconds: float, keep: str) -> int:
    """Delete every instance (except ``keep``) whose heartbeat is stale; how many."""
    result = await session.execute(
        delete(InstanceRow).where(
            InstanceRow.heartbeat_at < live_cutoff(stale_seconds), InstanceRow.id != keep
        )
    )
    return rowcount(result)


class Instance:
    """Registers this process, beats while it runs, and says whether it is still trusted."""

    __slots__ = (
        "_beat_ok",
        "_beaten",
        "_task",
        "db",
        "heartbeat",
        "id",
        "on_beat",
        "on_lost",
        "stale",
    )

    def __init__(self, db: Database, *, heartbeat: float, stale: float) -> None:
        self.db, self.heartbeat, self.stale = db, heartbeat, stale
        self.id = uuid.uuid4().hex
        self.on_beat: list[BeatHook] = []  # run in the heartbeat's transaction
        self.on_lost: list[LostHook] = []
        self._beat_ok = 0.0  # monotonic time of the last committed heartbeat
        self._task: asyncio.Task[None] | None = None
        self._beaten = asyncio.Event()  # set at every committed heartbeat

    @property
    def fresh(self) -> bool:
        """True while no sibling can yet have presumed this instance dead (with a margin)."""
        return time.monotonic() - self._beat_ok < self.stale * 0.6

    async def until_fresh(self) -> None:
        """Return once ``fresh`` (at once, unless the heartbeat is late)."""
        while not self.fresh:
            self._beaten.clear()
            await self._beaten.wait()

    async def start(self) -> None:
        await self._register()
        self._task = asyncio.create_task(self._beat_forever(), name="instance-heartbeat")

    async def stop(self) -> None:
        """Stop beating and delete the row: what this instance held was given back."""
        if self._task is not None:
            await cancel_and_wait([self._task], what="instance heartbeat")
            self._task = None
        try:
            async with self.db.session() as session:
                await session.execute(delete(InstanceRow).where(InstanceRow.id == self.id))
        except Exception:
            log.exception("could not delete the instance row", instance=self.id)

    async def _register(self) -> None:
        now = wall_now()
        values = {
            "id": self.id,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": now,
            "heartbeat_at": now,
        }
        async with self.db.session() as session:
            await session.execute(insert(InstanceRow).values(**values))
        self._beat_ok = time.monotonic()
        self._beaten.set()

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                await self.beat()
            except Exception:
                log.exception("instance heartbeat failed; will retry", instance=self.id)

    async def beat(self) -> None:
        """One heartbeat (and the hooks, in its transaction); re-register if presumed dead."""
        started = time.monotonic()
        async with self.db.session() as session:
            result = await session.execute(
                update(InstanceRow).where(InstanceRow.id == self.id).values(heartbeat_at=wall_now())
            )
            alive = bool(rowcount(result))
            if alive:
                for hook in self.on_beat:
                    await hook(session, self.id)
        if alive:
            self._beat_ok = started
            self._beaten.set()
            return
        lost, self.id = self.id, uuid.uuid4().hex
        log.warning("instance was presumed dead by a sibling; registering again", lost=lost)
        for on_lost in self.on_lost:
            await on_lost(lost)
        await self._register()
