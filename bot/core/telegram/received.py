"""Updates a webhook replica took: each handled once, and one chat's in ``update_id`` order.

Telegram retries a webhook call that got no 2xx in time, and a load balancer may hand
one update to two replicas, or a chat's next update to another replica than its first.
So, behind a webhook:

- on arrival, before Telegram is answered, the update is recorded (:func:`arrive`): its
  ``update_id``, its *turn* (its chat, and whether it is a button press: presses keep an
  order of their own, as in :mod:`bot.core.telegram.processor`) and its JSON;
- the :class:`InChatOrder` step takes the turn's lease in the database (one row in
  ``leases``, renewed while held; a replica that dies holding it loses it within
  :data:`TURN_SECONDS`, at once when it was on this host), then handles, in ``update_id``
  order, every update of the turn recorded before its own and not yet taken (whichever
  replica received them), then its own, each claimed first (``handled_at``) so that a
  replica that received it too drops it.

An update is taken once: one a replica was killed while handling is not handled again
(as with polling, where it was acknowledged already). One a replica recorded (and Telegram
was told of) but was killed before taking is *stranded*: the chat's next update would handle
it first, but a chat may never write again, so :class:`Stranded` hands every update left
untaken for :data:`STRANDED_AFTER` to this process's queue, where it takes its turn as any
other (and is dropped if someone took it meanwhile). Rows older than a day are purged by
``cleanup.daily`` (Telegram gives up on an update long before that). Long polling needs
none of this: one poller reads the updates in order, and the process keeps each chat's.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Index, SmallInteger, Text, select, update
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Mapped, mapped_column
from telegram import Update

from bot.core.cluster import Holder, LeaseKeeper
from bot.core.kernel import (
    Base,
    Clock,
    Database,
    PurgeRequest,
    delete_in_batches,
    get_logger,
    insert_missing,
    rowcount,
)
from bot.core.telegram.outage import database_unreachable

log = get_logger(__name__)

KEEP = timedelta(days=1)
# An update recorded and left untaken this long was stranded by a replica that died (a live
# one takes an update within moments; a chat waits for a dead holder's turn TURN_SECONDS).
STRANDED_AFTER = timedelta(seconds=30)
STRANDED_EVERY = 10.0  # seconds between two looks for stranded updates
STRANDED_BATCH = 100
TURN_SECONDS = 5.0  # a turn's lease: how long a chat waits for a replica that died holding it
# Seconds between tries while another replica holds the turn (the last one repeats), each
# spread by up to a quarter either way so that many waiting chats do not ask together.
WAITS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
MESSAGES, PRESSES = 0, 1

Turn = tuple[int, int]  # (chat id, MESSAGES or PRESSES)
# The turn whose lease this task holds while it handles an earlier update of that turn.
_HOLDING: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("turn", default=None)


class ReceivedUpdate(Base):
    """One update this cluster has taken."""

    __tablename__ = "received_updates"
    __table_args__ = (Index("ix_received_updates_turn", "chat_id", "lane", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    lane: Mapped[int | None] = mapped_column(SmallInteger)
    payload: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[datetime | None]


def turn_of(update: Update) -> Turn | None:
    """The turn ``update`` waits for: its chat's messages or its chat's presses."""
    chat = update.effective_chat
    if chat is None:
        return None
    return chat.id, PRESSES if update.callback_query is not None else MESSAGES


async def first_time(db: Database, update_id: int, now: datetime) -> bool:
    """Claim ``update_id``: True only for the first process (and the first time) to take it.
    An update recorded on arrival and not yet taken is taken now; one never recorded is
    recorded as taken."""
    async with db.session() as session:
        result = await session.execute(
            update(ReceivedUpdate)
            .where(ReceivedUpdate.update_id == update_id, ReceivedUpdate.handled_at.is_(None))
            .values(handled_at=now)
        )
        if rowcount(result):
            return True
        return await insert_missing(
            session, ReceivedUpdate, update_id=update_id, received_at=now, handled_at=now
        )


def record_arrival(db: Database, clock: Clock) -> Callable[[Update], Awaitable[None]]:
    """What a webhook replica does before answering Telegram: record the update (once)."""

    async def arrive(update: Update) -> None:
        turn = turn_of(update)
        async with db.session() as session:
            await insert_missing(
                session,
                ReceivedUpdate,
                update_id=update.update_id,
                received_at=clock.now(),
                chat_id=turn[0] if turn else None,
                lane=turn[1] if turn else None,
                payload=json.dumps(update.to_dict()) if turn else None,
            )

    return arrive


async def earlier_waiting(db: Database, turn: Turn, update_id: int) -> list[tuple[int, str]]:
    """The updates of ``turn`` before ``update_id`` recorded and not yet taken, in order."""
    async with db.session() as session:
        rows = await session.execute(
            select(ReceivedUpdate.update_id, ReceivedUpdate.payload)
            .where(
                ReceivedUpdate.chat_id == turn[0],
                ReceivedUpdate.lane == turn[1],
                ReceivedUpdate.update_id < update_id,
                ReceivedUpdate.handled_at.is_(None),
            )
            .order_by(ReceivedUpdate.update_id)
        )
        return [(uid, payload) for uid, payload in rows if payload]


class InChatOrder:
    """The pipeline step behind a webhook: one update of a turn at a time across the
    replicas, in ``update_id`` order, each once (see the module docstring). ``handle`` runs
    an earlier update through every step (the application's ``process_update``); when the
    database does not answer, ``again(update)`` schedules a later try (False: no tries
    left, and the error goes on to the error handlers)."""

    __slots__ = ("again", "clock", "db", "handle", "holder", "ttl")

    def __init__(
        self,
        db: Database,
        clock: Clock,
        again: Callable[[Update], bool],
        handle: Callable[[Update], Awaitable[None]],
        *,
        holder: Holder | None = None,
        ttl: float = TURN_SECONDS,
    ) -> None:
        self.db, self.clock, self.again, self.handle, self.ttl = db, clock, again, handle, ttl
        self.holder = holder or Holder.this_process()

    async def __call__(self, update: Update, proceed: Callable[[], Awaitable[None]]) -> None:
        turn = turn_of(update)
        if turn is not None and _HOLDING.get() == turn:
            await proceed()  # an earlier update, claimed by the holder of its turn
            return
        if turn is None:
            if await self._first(update):
                await proceed()
            return
        keeper = LeaseKeeper(self.db, f"turn:{turn[0]}:{turn[1]}", self.ttl, self.holder)
        try:
            await self._take(keeper)
        except Exception as exc:
            if database_unreachable(exc) and self.again(update):
                return
            raise
        try:
            await self._holding(keeper, lambda: self._in_turn(update, turn, proceed))
        finally:
            await self._let_go(keeper)

    async def _in_turn(
        self, update: Update, turn: Turn, proceed: Callable[[], Awaitable[None]]
    ) -> None:
        await self._catch_up(update, turn)
        if await self._first(update):
            await proceed()

    async def _first(self, update: Update) -> bool:
        """Claim ``update``; False when another replica (or an earlier try) took it, or when
        the database is away and a later try was scheduled."""
        try:
            first = await first_time(self.db, update.update_id, self.clock.now())
        except Exception as exc:
            if database_unreachable(exc) and self.again(update):
                return False
            raise
        if not first:
            log.info("update already handled by this cluster", update_id=update.update_id)
        return first

    async def _take(self, keeper: LeaseKeeper) -> None:
        """Wait for the turn: another replica holds it while it handles an update of it."""
        tries = 0
        while True:
            try:
                if await keeper.acquire():
                    return
            except PoolTimeout:  # every connection busy (a burst of chats): keep waiting
                log.info("no connection free to take a chat's turn", turn=keeper.name)
            wait = WAITS[min(tries, len(WAITS) - 1)]
            await asyncio.sleep(wait * random.uniform(0.75, 1.25))
            tries += 1

    async def _catch_up(self, update: Update, turn: Turn) -> None:
        """Handle the turn's earlier updates that other replicas received and no one took."""
        try:
            waiting = await earlier_waiting(self.db, turn, update.update_id)
        except Exception as exc:
            if not database_unreachable(exc):
                raise
            waiting = []  # the update's own claim meets the same trouble (a later try)
        for update_id, payload in waiting:
            try:
                if not await first_time(self.db, update_id, self.clock.now()):
                    continue
            except Exception as exc:
                if not database_unreachable(exc):
                    raise
                return
            earlier = Update.de_json(json.loads(payload), update.get_bot())
            token = _HOLDING.set(turn)
            try:
                await self.handle(earlier)
            except Exception:
                log.exception("an earlier update of the chat failed", update_id=update_id)
            finally:
                _HOLDING.reset(token)

    async def _holding(self, keeper: LeaseKeeper, run: Callable[[], Awaitable[None]]) -> None:
        """``run()`` with the turn's lease renewed meanwhile (a handler may take longer)."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.ttl / 3)
                with contextlib.suppress(Exception):
                    if not await keeper.acquire():
                        log.warning("a chat's turn was lost while handling", turn=keeper.name)

        renewing = asyncio.create_task(renew(), name=f"renew {keeper.name}")
        try:
            await run()
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _let_go(self, keeper: LeaseKeeper) -> None:
        try:
            await keeper.drop()
        except Exception as exc:  # it runs out within TURN_SECONDS
            log.warning("a chat's turn not given back", turn=keeper.name, error=str(exc)[:200])


async def stranded(
    db: Database, now: datetime, limit: int = STRANDED_BATCH
) -> list[tuple[int, str]]:
    """Updates recorded over :data:`STRANDED_AFTER` ago and not yet taken, oldest first."""
    async with db.session() as session:
        rows = await session.execute(
            select(ReceivedUpdate.update_id, ReceivedUpdate.payload)
            .where(
                ReceivedUpdate.received_at <= now - STRANDED_AFTER,
                ReceivedUpdate.handled_at.is_(None),
                ReceivedUpdate.payload.is_not(None),
            )
            .order_by(ReceivedUpdate.update_id)
            .limit(limit)
        )
        return [(uid, payload) for uid, payload in rows if payload]


class Stranded:
    """Every :data:`STRANDED_EVERY` seconds, the updates a dead replica recorded and never
    took are put on this process's update queue (each once by this process): they go through
    the pipeline as if they had just arrived, so each takes its chat's turn, after the chat's
    earlier ones, and is dropped if another replica took it first."""

    __slots__ = ("_put_already", "_task", "clock", "db", "put")

    def __init__(self, db: Database, clock: Clock, put: Callable[[Update], None]) -> None:
        self.db, self.clock, self.put = db, clock, put
        self._put_already: dict[int, None] = {}  # insertion-ordered, the newest kept
        self._task: asyncio.Task[None] | None = None

    async def look(self, bot: Any) -> int:
        """One look: how many stranded updates were put on the queue."""
        found = 0
        for update_id, payload in await stranded(self.db, self.clock.now()):
            if update_id in self._put_already:
                continue
            self._put_already[update_id] = None
            if len(self._put_already) > 10 * STRANDED_BATCH:
                del self._put_already[next(iter(self._put_already))]
            self.put(Update.de_json(json.loads(payload), bot))
            found += 1
        if found:
            log.warning("updates a stopped replica left untaken are handled now", updates=found)
        return found

    async def _run(self, bot: Any) -> None:
        while True:
            await asyncio.sleep(STRANDED_EVERY)
            try:
                await self.look(bot)
            except Exception as exc:  # the database away: the next look tries again
                log.info("could not look for stranded updates", error=str(exc)[:200])

    def start(self, bot: Any) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(bot), name="stranded")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def purge_received(request: PurgeRequest) -> int:
    """Forget update ids older than :data:`KEEP`, in batches."""
    purged = await delete_in_batches(
        request.db,
        ReceivedUpdate.update_id,
        ReceivedUpdate.received_at <= request.now - KEEP,
        batch_size=request.batch_size,
    )
    return purged.rows
