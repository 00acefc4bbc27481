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

import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, String, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.cluster.liveness import Liveness
from bot.core.kernel import Base, Database, get_logger, rowcount

log = get_logger(__name__)

BeatHook = Callable[[AsyncSession, str], Awaitable[None]]
BeatenHook = Callable[[float], None]
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


async def live_count(session: AsyncSession, stale_seconds: float) -> int:
    """How many instances are alive (this one included, once registered): one indexed count."""
    query = select(func.count()).where(InstanceRow.heartbeat_at >= live_cutoff(stale_seconds))
    return int(await session.scalar(query) or 0)


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

    __slots__ = ("after_beat", "db", "heartbeat", "id", "liveness", "on_beat", "on_lost", "stale")

    def __init__(self, db: Database, *, heartbeat: float, stale: float) -> None:
        self.db, self.heartbeat, self.stale = db, heartbeat, stale
        self.id = uuid.uuid4().hex
        self.on_beat: list[BeatHook] = []  # run in the heartbeat's transaction
        self.after_beat: list[BeatenHook] = []  # run once it committed (given its start)
        self.on_lost: list[LostHook] = []
        # Trusted while no sibling can yet have presumed this instance dead (with a margin).
        self.liveness = Liveness("instance-heartbeat", period=heartbeat, valid_for=stale * 0.6)

    @property
    def fresh(self) -> bool:
        """True while no sibling can yet have presumed this instance dead (with a margin)."""
        return self.liveness.fresh

    async def until_fresh(self) -> None:
        """Return once ``fresh`` (at once, unless the heartbeat is late)."""
        await self.liveness.until_fresh()

    async def start(self) -> None:
        await self._register()
        self.liveness.start(self._beat_logged)

    async def stop(self) -> None:
        """Stop beating and delete the row: what this instance held was given back."""
        await self.liveness.stop()
        self.liveness.lost()
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
        self.liveness.renewed()

    async def _beat_logged(self) -> None:
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
            self.liveness.renewed(started)
            for beaten in self.after_beat:
                beaten(started)
            return
        lost, self.id = self.id, uuid.uuid4().hex
        log.warning("instance was presumed dead by a sibling; registering again", lost=lost)
        for on_lost in self.on_lost:
            await on_lost(lost)
        await self._register()
