"""The outbox sender: drains due rows through the bot's bulk lane and acts on the answers.

One producer claims batches of due rows (see ``claims.py``) into a bounded
queue; ``outbox_concurrency`` workers send them (the rate limiter paces them to
the global limit); outcomes are written back in batches, then announced as
``MessageDelivered`` / ``MessageFailed``. Telegram's answers decide what happens:
403 -> the user is unreachable (never retried, their later rows skipped),
migrated group -> new chat id and resend, 5xx/time-outs -> backoff, 400 -> failed.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.core import users
from bot.core.context import Services
from bot.core.delivery import claims
from bot.core.delivery.claims import Claimed, Outcome
from bot.core.delivery.outbox import OutboxStatus
from bot.core.delivery.transport import Transport, UnknownMethod
from bot.core.events import ChatMigrated as ChatMigratedEvent
from bot.core.events import MessageDelivered, MessageFailed, UserBecameUnreachable
from bot.core.logging import get_logger
from bot.core.tasks import cancel_and_wait

log = get_logger(__name__)
FLUSH_EVERY = 0.1  # seconds between writes of outcomes (and the most a crash can double)
MAX_BACKOFF = 3600.0
DEPTH_EVERY = 5.0  # seconds between counts of pending rows for the outbox_depth gauge


class OutboxSender:
    """Runs while the bot runs; ``start()`` from an on_start hook, ``stop()`` on shutdown."""

    __slots__ = (
        "_depth_at", "_done", "_held", "_queue", "_tasks", "_unreachable",
        "bot", "services", "transport",
    )  # fmt: skip

    def __init__(self, services: Services, bot: ExtBot[Any]) -> None:
        settings = services.settings
        self.services, self.bot = services, bot
        self.transport = Transport(bot, settings.media_dir, paid=settings.allow_paid_broadcast)
        self._queue: asyncio.Queue[Claimed] = asyncio.Queue(maxsize=settings.outbox_batch_size)
        self._done: list[Outcome] = []
        self._unreachable: set[int] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._depth_at = 0.0
        # Rows this process holds (queued, sending, or not yet recorded): a lease that ends
        # while a row waits here must not make this process send it a second time.
        self._held: set[int] = set()

    async def start(self) -> None:
        workers = self.services.settings.outbox_concurrency
        self._tasks = [asyncio.create_task(self._produce(), name="outbox-producer")]
        self._tasks += [
            asyncio.create_task(self._work(), name="outbox-worker") for _ in range(workers)
        ]
        self._tasks.append(asyncio.create_task(self._flush_forever(), name="outbox-flush"))

    async def stop(self) -> None:
        """Stop sending; rows claimed but not sent are retried when their lease ends."""
        await cancel_and_wait(self._tasks, what="outbox sender")
        self._tasks = []
        await self.flush()

    # -- the pipeline ---------------------------------------------------------------
    async def _produce(self) -> None:
        settings = self.services.settings
        lease = timedelta(seconds=settings.outbox_lease_seconds)
        while True:
            try:
                fresh, reviewed_away = await self._claim(settings.outbox_batch_size, lease)
            except Exception:
                log.exception("outbox claim failed")
                fresh, reviewed_away = [], 0
            if not fresh:
                if not reviewed_away:  # nothing due: wait; a muted batch: claim the next one
                    await asyncio.sleep(settings.outbox_poll_seconds)
                continue
            self._held.update(row.id for row in fresh)
            for row in fresh:
                await self._queue.put(row)

    async def _claim(self, limit: int, lease: timedelta) -> tuple[list[Claimed], int]:
        """Lease due rows, let the delivery policy mute or hold some; return the rest
        (never a row this process still holds) and how many the policy took away."""
        async with self.services.db.session() as session:
            now = self.services.clock.now()
            claimed = await claims.claim_due(session, now=now, limit=limit, lease=lease)
            # A row this process still holds is not reviewed again: it may be in flight.
            rows = [row for row in claimed if row.id not in self._held]
            rows, muted, held = await claims.review(session, self.services.outbox.policy, rows, now)
            if muted:
                self.services.metrics.messages_sent.labels("bulk", "skipped").inc(muted)
            if held:
                log.debug("outbox rows held by the delivery policy", rows=held)
            wanted = {row.user_id for row in rows if row.user_id is not None}
            self._unreachable |= await claims.unreachable_among(session, wanted)
            if time.monotonic() - self._depth_at > DEPTH_EVERY:
                self._depth_at = time.monotonic()
                self.services.metrics.outbox_depth.set(await claims.pending_count(session))
        return rows, muted + held

    async def _work(self) -> None:
        while True:
            row = await self._queue.get()
            try:
                outcome = await self.deliver(row)
            except Exception as exc:  # a bug must not kill the worker or lose the row
                log.exception("outbox delivery crashed", key=row.key)
                outcome = self._retry(row, row.chat_id, repr(exc))
            self._done.append(outcome)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            try:
                await self.flush()
            except Exception:
                log.exception("recording outbox outcomes failed; will retry")

    async def flush(self) -> None:
        """Write finished outcomes, then publish them."""
        done, self._done = self._done, []
        if not done:
            return
        try:
            async with self.services.db.session() as session:
                await claims.record(session, done)
        except Exception:
            self._done[:0] = done
            raise
        self._held.difference_update(outcome.row.id for outcome in done)
        for outcome in done:
            await self._announce(outcome)

    async def _announce(self, outcome: Outcome) -> None:
        self.services.metrics.messages_sent.labels("bulk", outcome.status.value).inc()
        row = outcome.row
        if outcome.status == OutboxStatus.SENT:
            await self.services.bus.publish(
                MessageDelivered(row.key, outcome.chat_id, outcome.message_id or 0)
            )
        elif outcome.status == OutboxStatus.FAILED:
            await self.services.bus.publish(
                MessageFailed(row.key, outcome.chat_id, outcome.error or "")
            )

    # -- one row ----------------------------------------------------------------------
    async def deliver(self, row: Claimed) -> Outcome:
        """Send ``row`` and decide its fate from Telegram's answer."""
        if row.user_id is not None and row.user_id in self._unreachable:
            return self._final(row, row.chat_id, OutboxStatus.SKIPPED, "recipient unreachable")
        chat_id = row.chat_id
        for _ in range(3):  # a group can migrate once; allow a spare
            try:
                message_id = await self.transport.send(row.method, chat_id, row.payload)
            except ChatMigrated as exc:
                self._error("migrated")
                await self._migrated(chat_id, int(exc.new_chat_id))
                chat_id = int(exc.new_chat_id)
                continue
            except Forbidden as exc:
                self._error("forbidden")
                await self._blocked(row, chat_id, exc.message)
                return self._final(row, chat_id, OutboxStatus.FAILED, exc.message)
            except BadRequest as exc:
                self._error("bad_request")
                return self._final(row, chat_id, OutboxStatus.FAILED, exc.message)
            except (TimedOut, NetworkError) as exc:
                self._error("timed_out" if isinstance(exc, TimedOut) else "network")
                return self._retry(row, chat_id, f"{type(exc).__name__}: {exc.message}")
            except (TelegramError, UnknownMethod, TypeError) as exc:
                self._error("other")
                return self._final(row, chat_id, OutboxStatus.FAILED, repr(exc))
            return Outcome(row, OutboxStatus.SENT, chat_id, self.services.clock.now(), message_id)
        return self._final(row, chat_id, OutboxStatus.FAILED, "chat migrated repeatedly")

    def _final(self, row: Claimed, chat_id: int, status: OutboxStatus, error: str) -> Outcome:
        return Outcome(row, status, chat_id, self.services.clock.now(), error=error)

    def _retry(self, row: Claimed, chat_id: int, error: str) -> Outcome:
        settings = self.services.settings
        if row.attempts >= settings.outbox_max_attempts:
            return self._final(row, chat_id, OutboxStatus.FAILED, f"gave up: {error}")
        delay = min(MAX_BACKOFF, settings.outbox_retry_seconds * 2 ** (row.attempts - 1))
        now = self.services.clock.now()
        retry_at = now + timedelta(seconds=delay)
        return Outcome(row, OutboxStatus.PENDING, chat_id, now, error=error, retry_at=retry_at)

    def _error(self, kind: str) -> None:
        self.services.metrics.telegram_errors.labels(kind).inc()

    async def _blocked(self, row: Claimed, chat_id: int, reason: str) -> None:
        """A private chat refused us: the user is unreachable until they come back."""
        user_id = row.user_id if row.user_id is not None else chat_id
        if chat_id <= 0 or user_id != chat_id:
            return
        self._unreachable.add(user_id)
        if len(self._unreachable) > 100_000:  # the database remembers; this is a shortcut
            self._unreachable = {user_id}
        async with self.services.db.session() as session:
            changed = await users.set_reachable(session, user_id, False, reason)
            await claims.skip_pending_for_chat(session, chat_id, "recipient unreachable")
        if changed:
            await self.services.bus.publish(UserBecameUnreachable(user_id, reason))

    async def _migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        async with self.services.db.session() as session:
            await claims.move_chat(session, old_chat_id, new_chat_id)
        log.info("chat migrated", old_chat_id=old_chat_id, new_chat_id=new_chat_id)
        await self.services.bus.publish(ChatMigratedEvent(old_chat_id, new_chat_id))
