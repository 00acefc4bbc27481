"""A named lease in the database: at most one live process holds it.

Used for what only one process of a cluster may do, such as long polling (Telegram
answers a second ``getUpdates`` with 409 and updates reach both pollers). The holder
renews it well inside its time to live (one ``UPDATE``); a holder that dies stops
renewing and another process takes over when the lease runs out. A standby reads the
lease once and looks again only at the expiry it read, so a short lease (a quick
takeover) costs no more queries at idle than a long one renewed by three statements did.
When the process beats an instance heartbeat often enough (:meth:`LeaseKeeper.ride`), the
holder renews and a standby reads the lease inside that heartbeat's transaction, so the
lease adds statements to a transaction the process runs anyway, and no transaction of
its own while the holder lives.
A holder on the same machine that is provably gone (its pid is dead, or now belongs to
another process) is taken over at once, so a bot restarted after a crash does not wait
out its own lease. Leases use the wall clock, never an injected test clock: they are
about real processes.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import SERIAL_MAX, Base, Database, ascii_int, insert_missing, rowcount

if TYPE_CHECKING:
    from bot.core.cluster.instances import Instance


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
    """Takes, renews and gives back one named lease for this process.

    :meth:`acquire` always asks the database: one ``UPDATE`` renews a lease this process
    holds; otherwise one ``SELECT`` shows who holds it, and a compare-and-set takes it only
    when it ran out or its holder is provably gone. :meth:`step` is what a process calls on
    a short period: it asks the database only when the answer may have changed (this
    process's renewal is due, or the other holder's lease has run out by the expiry the
    last read showed, or that holder is seen gone on this host), so stepping often to take
    over quickly costs no more queries than renewing.
    """

    __slots__ = (
        "_other",
        "_other_until",
        "_riding",
        "_rode_at",
        "db",
        "holder",
        "name",
        "renew_after",
        "renewed_at",
        "ttl",
    )

    def __init__(self, db: Database, name: str, ttl: float, holder: Holder | None = None) -> None:
        self.db, self.name, self.ttl = db, name, ttl
        self.holder = holder or Holder.this_process()
        self.renewed_at: float | None = None  # monotonic time of this process's last renewal
        self.renew_after = self.every  # seconds after a renewal when a step renews again
        self._other: Holder | None = None  # who held it at the last read, when not this process
        self._other_until: datetime | None = None  # ... and until when
        self._riding: Instance | None = None  # the heartbeat this lease rides, if any
        self._rode_at: float | None = None  # when a renewal in the running heartbeat started

    @property
    def every(self) -> float:
        """How often the holder renews: a third of the time to live (two renewals may fail
        before the lease runs out)."""
        return self.ttl / 3

    def ride(self, instance: Instance) -> bool:
        """Renew (holder) or read (standby) the lease in each of ``instance``'s heartbeats,
        when they come often enough: at least twice in the lease's time to live, with a
        margin. Then a step renews on its own only when a heartbeat is late. False (and
        nothing changes) when the heartbeat is too slow for this lease."""
        if instance.heartbeat * 1.2 > self.ttl * 0.6 or self._riding is not None:
            return False
        self._riding = instance
        self.renew_after = min(instance.heartbeat * 1.5, self.ttl * 0.6)
        instance.on_beat.append(self._in_beat)
        instance.after_beat.append(self._after_beat)
        return True

    def unride(self) -> None:
        """Stop riding the heartbeat (the lease is renewed by :meth:`step` alone again)."""
        instance, self._riding = self._riding, None
        if instance is not None:
            instance.on_beat.remove(self._in_beat)
            instance.after_beat.remove(self._after_beat)
        self.renew_after, self._rode_at = self.every, None

    async def _in_beat(self, session: AsyncSession, _instance: str) -> None:
        """In the heartbeat's transaction: the holder extends the lease (it counts once the
        heartbeat committed); a standby reads who holds it until when."""
        self._rode_at = None
        if self.renewed_at is not None:
            started, me = time.monotonic(), str(self.holder)
            until = datetime.now(UTC) + timedelta(seconds=self.ttl)
            if await self._renew(session, me, until):
                self._rode_at = started
            else:
                self.renewed_at = None  # taken by another: the next step reads
            return
        row = (
            await session.execute(
                select(Lease.holder, Lease.expires_at).where(Lease.name == self.name)
            )
        ).first()
        if row is not None and str(row[0]) != str(self.holder):
            self._other, self._other_until = Holder.parse(str(row[0])), _aware(row[1])

    def _after_beat(self, _started: float) -> None:
        rode, self._rode_at = self._rode_at, None
        if rode is not None and self.renewed_at is not None:
            self.renewed_at = max(self.renewed_at, rode)

    async def step(self) -> bool:
        """:meth:`acquire` when the answer may have changed; else the known answer."""
        if self.renewed_at is not None and time.monotonic() - self.renewed_at < self.renew_after:
            return True
        other, until = self._other, self._other_until
        if other and until and datetime.now(UTC) < until and not other.gone():
            return False
        return await self.acquire()

    async def acquire(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        now = datetime.now(UTC)
        me, until = str(self.holder), now + timedelta(seconds=self.ttl)
        started = time.monotonic()
        async with self.db.session() as session:
            held = await self._renew(session, me, until) or await self._take(
                session, me, now, until
            )
        self.renewed_at = started if held else None
        if held:
            self._other = self._other_until = None
        return held

    async def _renew(self, session: AsyncSession, me: str, until: datetime) -> bool:
        """One statement: extend the lease if this process holds it (the usual case of the
        holder)."""
        if self.renewed_at is None:
            return False  # not held at the last look: read first (one statement either way)
        result = await session.execute(
            update(Lease)
            .where(Lease.name == self.name, Lease.holder == me)
            .values(expires_at=until)
        )
        return bool(rowcount(result))

    async def _take(self, session: AsyncSession, me: str, now: datetime, until: datetime) -> bool:
        """Read who holds the lease; create it when nobody does; take it over (compare-and-set)
        when it is ours, ran out, or its holder is gone; never one that another live process
        renewed in the meantime."""
        row = (
            await session.execute(
                select(Lease.holder, Lease.expires_at).where(Lease.name == self.name)
            )
        ).first()
        if row is None:
            return await insert_missing(
                session, Lease, name=self.name, holder=me, expires_at=until, acquired_at=now
            )
        current, expires = str(row[0]), _aware(row[1])
        other = Holder.parse(current)
        takeover = current != me and (other is None or not other.gone())
        if takeover and expires > now:
            self._other, self._other_until = other, expires
            return False
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
        self.renewed_at = None
        async with self.db.session() as session:
            await session.execute(
                update(Lease)
                .where(Lease.name == self.name, Lease.holder == str(self.holder))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )

    async def drop(self) -> None:
        """Give the lease up by deleting its row (a short-lived lease, such as a chat's
        turn, leaves nothing behind)."""
        self.renewed_at = None
        async with self.db.session() as session:
            await session.execute(
                delete(Lease).where(Lease.name == self.name, Lease.holder == str(self.holder))
            )

    async def holder_of(self) -> str | None:
        async with self.db.session() as session:
            return await session.scalar(select(Lease.holder).where(Lease.name == self.name))


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (written as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
