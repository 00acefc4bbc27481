"""The outbox sender: drains due rows through the bot's bulk lane and records the answers.

One producer claims about as many due rows as can be sent in the next couple of seconds
(``sizing.py``) for this process's instance (``bot/core/cluster/instances.py``), releasing on
every poll the rows of instances whose heartbeat stopped; the rows wait in one queue
per chat (``scopes.py``), so a slow chat holds only its own rows; ``outbox_concurrency``
workers send them (the rate limiter paces them) and Telegram's answers decide each
row's fate (``answers.py``). Outcomes are written back in batches, fenced by the claim
token, then announced as ``MessageDelivered`` / ``MessageFailed``. The leases of rows
held in memory are renewed at every heartbeat, which also tells the rate limiter how many
instances are alive (its share of the total limits while Redis is away).

On stop, every row not yet on the wire is given back at once, due when it was due before
its claim, so another process takes it in its place in line: the queued rows, and those
whose send still waits in the rate limiter (their workers are cancelled: a ticket, see
``bot/core/ratelimit/tickets.py``, says that none of their requests went out). Only sends
actually in flight are waited for, ``OUTBOX_STOP_GRACE_SECONDS`` at most, and recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import ExtBot

from bot.core.cluster import Instance, instances
from bot.core.delivery import claims, holdings, paid
from bot.core.delivery.answers import Deliverer
from bot.core.delivery.backlog import pending_count
from bot.core.delivery.claims import Claimed, Outcome
from bot.core.delivery.outbox import OutboxStatus
from bot.core.delivery.scopes import Closed, ScopeQueues
from bot.core.delivery.sizing import ClaimSizer
from bot.core.kernel import MessageDelivered, MessageFailed, cancel_and_wait, get_logger
from bot.core.ratelimit import CompanionRateLimiter, Ticket, ticket

if TYPE_CHECKING:
    from bot.core.delivery.posting import Posting

log = get_logger(__name__)
FLUSH_GAP = 0.02  # seconds at least between two writes of outcomes
FLUSH_RETRY = 0.5  # seconds before recording outcomes again after a database error
DEPTH_EVERY = 5.0  # seconds between counts of pending rows for the outbox_depth gauge
PER_CHAT = 2  # rows of one chat held in memory at most (one in flight, one next)


class OutboxSender:
    """Runs while the bot runs; ``start()`` from an on_start hook, ``stop()`` on shutdown."""

    __slots__ = (
        "_depth_at",
        "_done",
        "_finished",
        "_room",
        "_sending",
        "_swept_at",
        "_tasks",
        "_workers",
        "bot",
        "deliverer",
        "instance",
        "posting",
        "queues",
        "sizer",
    )

    def __init__(self, posting: Posting, bot: ExtBot[Any]) -> None:
        settings = posting.settings
        self.posting, self.bot = posting, bot
        self.deliverer = Deliverer(posting, bot)
        self.queues = ScopeQueues(group_slots=settings.outbox_concurrency // 2)
        self.sizer = ClaimSizer(settings)
        self.instance = Instance(
            posting.db,
            heartbeat=settings.instance_heartbeat_seconds,
            stale=settings.instance_stale_seconds,
        )
        self.instance.on_beat.append(self._renew)
        self.instance.on_beat.append(self._count_peers)
        self.instance.on_lost.append(self._lost)
        self._done: list[Outcome] = []
        self._room = asyncio.Event()  # a row finished: there may be room to claim
        self._finished = asyncio.Event()  # an outcome waits to be recorded
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[asyncio.Task[None]] = []
        # worker -> the row it sends and the ticket that says whether any of it went out
        self._sending: dict[asyncio.Task[None], tuple[Claimed, Ticket]] = {}
        self._depth_at = self._swept_at = 0.0

    async def start(self) -> None:
        await self.instance.start()
        async with self.posting.db.session() as session:
            await self._count_peers(session, self.instance.id)
        self._tasks = [
            asyncio.create_task(self._produce(), name="outbox-producer"),
            asyncio.create_task(self._flush_forever(), name="outbox-flush"),
        ]
        self._workers = [
            asyncio.create_task(self._work(), name="outbox-worker")
            for _ in range(self.posting.settings.outbox_concurrency)
        ]

    async def stop(self) -> None:
        """Stop claiming; give back at once every row not on the wire (queued, or waiting
        in the rate limiter), due when it was due; wait for the sends in flight
        (``OUTBOX_STOP_GRACE_SECONDS`` at most) and record them. Does nothing if not
        started (or already stopped)."""
        if not self._tasks:
            return
        producer, flusher = self._tasks
        await cancel_and_wait([producer], what="outbox producer")
        self.queues.close()
        unsent = self.queues.drain()
        waiting = [task for task, (_, t) in self._sending.items() if t.waiting]
        unsent += [self._sending[task][0] for task in waiting]
        await cancel_and_wait(waiting, what="outbox sends waiting in the rate limiter")
        try:
            try:
                await self._give_back(unsent)
            except Exception:  # the database away: they are released with the instance
                log.exception("could not give the unsent outbox rows back", rows=len(unsent))
            await self._finish_in_flight()
        finally:
            await cancel_and_wait([flusher], what="outbox recorder")
            self._tasks = []
            try:
                await self.flush()
                await self._give_back_all()
            finally:
                await self.instance.stop()

    async def _finish_in_flight(self) -> None:
        """Wait for the sends on the wire, within the grace; the late ones are cancelled
        (given back by :meth:`_give_back_all`: the one kind of row a stop may double)."""
        workers, self._workers = self._workers, []
        running = [task for task in workers if not task.done()]
        if not running:
            return
        grace = self.posting.settings.outbox_stop_grace_seconds
        log.info("waiting for the sends in flight", sends=len(self._sending), grace=grace)
        _, late = await asyncio.wait(running, timeout=grace)
        if late:
            log.warning("sends still in flight after the grace, cancelled", sends=len(late))
        late_rows = [self._sending[task][0] for task in late if task in self._sending]
        await cancel_and_wait(late, what="outbox workers")
        await self._give_back(late_rows)

    # -- claiming -------------------------------------------------------------------
    async def _produce(self) -> None:
        poll = self.posting.settings.outbox_poll_seconds
        while True:
            target, soon = self.sizer.target(), self.queues.soon
            room = target - soon if soon <= target // 2 else 0
            try:
                got = await self._claim(room)
            except Exception:
                log.exception("outbox claim failed")
                got = 0
            if room > 0 and got:
                continue  # more may be due
            self._room.clear()
            if room > 0:
                await asyncio.sleep(poll)  # nothing due
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await self._room.wait()

    async def _claim(self, room: int) -> int:
        """Release the rows of dead instances; lease up to ``room`` due rows, let the
        delivery policy mute or hold some, queue the rest. Returns how many were leased."""
        settings = self.posting.settings
        sweep = time.monotonic() - self._swept_at >= settings.outbox_poll_seconds
        if room <= 0 and not sweep:
            return 0
        owner = self.instance.id
        async with self.posting.db.session() as session:
            now = self.posting.clock.now()
            if sweep:
                await self._sweep(session)
            if room <= 0 or not self.instance.fresh:
                return 0
            claimed = await claims.claim_due(
                session,
                now=now,
                limit=room,
                owner=owner,
                per_chat=PER_CHAT,
                lease=timedelta(seconds=settings.outbox_lease_seconds),
                held=self.queues.held(),
                private_only=self.queues.groups_full,
            )
            rows = await self._review(session, claimed, now)
            rows = await paid.choose(session, self.posting.outbox.paid, rows, now)
            await self.deliverer.refresh(session, rows)
            await self._gauge_depth(session)
        self.queues.put(rows)
        return len(claimed)

    async def _sweep(self, session: AsyncSession) -> None:
        """Release the rows of instances presumed dead (once per poll interval at most)."""
        self._swept_at = time.monotonic()
        stale = self.posting.settings.instance_stale_seconds
        released = await holdings.release_stale(session, keep=self.instance.id, stale_seconds=stale)
        if released:
            log.info("outbox rows of a stopped instance released", rows=released)

    async def _review(
        self, session: AsyncSession, rows: list[Claimed], now: datetime
    ) -> list[Claimed]:
        rows, muted, held = await claims.review(session, self.posting.outbox.policy, rows, now)
        if muted:
            self.posting.metrics.messages_sent.labels("bulk", "skipped").inc(muted)
        if held:
            log.debug("outbox rows held by the delivery policy", rows=held)
        return rows

    async def _gauge_depth(self, session: AsyncSession) -> None:
        if time.monotonic() - self._depth_at > DEPTH_EVERY:
            self._depth_at = time.monotonic()
            self.posting.metrics.outbox_depth.set(await pending_count(session))

    # -- leases -----------------------------------------------------------------------
    async def _renew(self, session: AsyncSession, owner: str) -> None:
        """At every heartbeat: the rows this instance holds stay leased to it."""
        lease = timedelta(seconds=self.posting.settings.outbox_lease_seconds)
        await holdings.renew(session, owner, self.posting.clock.now() + lease)

    async def _lost(self, _owner: str) -> None:
        """A sibling presumed this instance dead and took its rows: drop the queued ones."""
        dropped = self.queues.drain()
        log.warning("outbox rows dropped: taken over by another instance", rows=len(dropped))

    async def _give_back(self, rows: list[Claimed]) -> None:
        """Rows that were not sent, back in the outbox in their place in line."""
        if not rows:
            return
        async with self.posting.db.session() as session:
            await claims.give_back(session, rows, self.posting.clock.now())
        log.info("outbox rows given back on stop", rows=len(rows))

    async def _give_back_all(self) -> None:
        """Whatever this instance still holds (none, unless a step above failed): due now."""
        async with self.posting.db.session() as session:
            given = await holdings.give_back(session, self.instance.id, self.posting.clock.now())
        if given:
            log.info("outbox rows given back on stop", rows=given)

    async def _count_peers(self, session: AsyncSession, _owner: str) -> None:
        """At every heartbeat: the live instances share the total limits while the rate
        limiter's windows are this process's own (no Redis, or Redis away)."""
        limiter = self.bot.rate_limiter
        if isinstance(limiter, CompanionRateLimiter):
            stale = self.posting.settings.instance_stale_seconds
            limiter.share(await instances.live_count(session, stale))

    # -- sending ------------------------------------------------------------------------
    async def _work(self) -> None:
        me = asyncio.current_task()
        assert me is not None
        while True:
            try:
                row = await self.queues.take()
            except Closed:
                return
            with ticket() as sent:
                self._sending[me] = (row, sent)
                try:
                    outcome = await self._attempt(row)
                finally:
                    del self._sending[me]
                    self.queues.done(row)
                    self._room.set()
            if outcome is not None:
                self._done.append(outcome)
                self._finished.set()

    async def _attempt(self, row: Claimed) -> Outcome | None:
        """Send ``row`` unless its claim is void; never send while this instance's
        heartbeat is late (a sibling may be about to take its rows)."""
        await self.instance.until_fresh()
        if row.owner != self.instance.id:
            return None
        try:
            outcome = await self.deliverer.deliver(row)
        except Exception as exc:  # a bug must not kill the worker or lose the row
            log.exception("outbox delivery crashed", key=row.key)
            outcome = self.deliverer.retry(row, row.chat_id, repr(exc))
        if outcome.tried:
            self.sizer.sent(paid=paid.is_paid(row))
        return outcome

    async def deliver(self, row: Claimed) -> Outcome:
        """Send ``row`` and decide its fate from Telegram's answer."""
        return await self.deliverer.deliver(row)

    # -- recording ----------------------------------------------------------------------
    async def _flush_forever(self) -> None:
        """Record outcomes as soon as there are some (those that finish meanwhile are
        written together next): sent but unrecorded is what a crash can double."""
        while True:
            await self._finished.wait()
            self._finished.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("recording outbox outcomes failed; will retry")
                self._finished.set()
                await asyncio.sleep(FLUSH_RETRY)
            await asyncio.sleep(FLUSH_GAP)  # at a high rate, outcomes gather meanwhile

    async def flush(self) -> None:
        """Write finished outcomes (those whose claim still holds), then publish them."""
        done, self._done = self._done, []
        if not done:
            return
        try:
            async with self.posting.db.session() as session:
                lost = await claims.record(session, done)
        except BaseException:  # cancelled too: the outcomes must not be forgotten
            self._done[:0] = done
            raise
        if lost:
            log.warning("outcomes not recorded: their rows were taken over", rows=len(lost))
        for outcome in done:
            if outcome.row.id not in lost:
                await self._announce(outcome)

    async def _announce(self, outcome: Outcome) -> None:
        self.posting.metrics.messages_sent.labels("bulk", outcome.status.value).inc()
        row = outcome.row
        if outcome.status == OutboxStatus.SENT:
            await self.posting.bus.publish(
                MessageDelivered(row.key, outcome.chat_id, outcome.message_id or 0)
            )
        elif outcome.status == OutboxStatus.FAILED:
            await self.posting.bus.publish(
                MessageFailed(row.key, outcome.chat_id, outcome.error or "")
            )
