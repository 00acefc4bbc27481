"""A named lease in the database: at most one live process holds it.

Used for what only one process of a cluster may do, such as long polling (Telegram
answers a second ``getUpdates`` with 409 and updates reach both pollers). The holder
renews it well inside its time to live; a holder that dies stops renewing and another
process takes over when the lease runs out. A holder on the same machine that is
provably gone (its pid is dead, or now belongs to another process) is taken over at
once, so a bot restarted after a crash does not wait out its own lease. Leases use the
wall clock, never an injected test clock: they are about real processes.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import SERIAL_MAX, Base, Database, ascii_int, insert_missing, rowcount


class Lease(Base):
    """Who holds the lease ``name`` and until when."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]


def _started(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (Linux), which tells a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


@dataclass(frozen=True, slots=True)
class Holder:
    """``host:pid:start:nonce``: enough to tell, on the same host, whether it still runs."""

    host: str
    pid: int
    start: str
    nonce: str

    @classmethod
    def this_process(cls) -> Holder:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, _started(pid) or "?", secrets.token_hex(4))

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        parts = text.rsplit(":", 3)
        pid = ascii_int(parts[1], 0, SERIAL_MAX) if len(parts) == 4 else None
        if pid is None:
            return None
        return cls(parts[0], pid, parts[2], parts[3])

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}:{self.nonce}"

    def gone(self) -> bool:
        """True only when this holder is on this host and its process is provably gone."""
        if self.host != socket.gethostname() or self.start == "?":
            return False
        return _started(self.pid) != self.start  # dead, or the pid now names another process


class LeaseKeeper:
    """Takes, renews and gives back one named lease for this process."""

    __slots__ = ("db", "holder", "name", "ttl")

    def __init__(self, db: Database, name: str, ttl: float, holder: Holder | None = None) -> None:
        self.db, self.name, self.ttl = db, name, ttl
        self.holder = holder or Holder.this_process()

    async def acquire(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        now = datetime.now(UTC)
        me, until = str(self.holder), now + timedelta(seconds=self.ttl)
        async with self.db.session() as session:
            if await insert_missing(
                session, Lease, name=self.name, holder=me, expires_at=until, acquired_at=now
            ):
                return True
            current = await session.scalar(select(Lease.holder).where(Lease.name == self.name))
            if current is None:
                return False
            return await self._take(session, current, now, until)

    async def _take(
        self, session: AsyncSession, current: str, now: datetime, until: datetime
    ) -> bool:
        """Compare-and-set: renew our own lease, or take one that ran out or whose holder is
        gone; never one that another live process renewed in the meantime."""
        me = str(self.holder)
        other = Holder.parse(current)
        takeover = current != me and (other is None or not other.gone())
        statement = update(Lease).where(Lease.name == self.name, Lease.holder == current)
        if takeover:
            statement = statement.where(Lease.expires_at <= now)
        values: dict[str, object] = {"holder": me, "expires_at": until}
        if current != me:
            values["acquired_at"] = now
        result = await session.execute(statement.values(**values))
        return bool(rowcount(result))

    async def release(self) -> None:
        """Give the lease up now (a clean stop), so another process takes over at once."""
        async with self.db.session() as session:
            await session.execute(
                update(Lease)
                .where(Lease.name == self.name, Lease.holder == str(self.holder))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )

    async def holder_of(self) -> str | None:
        async with self.db.session() as session:
            return await session.scalar(select(Lease.holder).where(Lease.name == self.name))
