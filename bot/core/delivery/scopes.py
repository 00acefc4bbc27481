"""Rows waiting inside the sender, one queue per chat, so no chat holds another.

Telegram limits each chat on its own (about 1/s in a private chat, 20/min in a group
or channel), and the rate limiter makes a send wait until its chat may go. If rows
waited in one FIFO, a batch of channel posts or a chat closed by a 429 would occupy
every worker. Here a chat sends one row at a time; workers take the next row from the
chats that have none in flight, lowest priority value first, round-robin among equals;
and group/channel chats (the slow ones) may occupy at most ``group_slots`` workers.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

from bot.core.delivery.claims import Claimed

_Entry = tuple[int, int, int]  # (priority of the chat's next row, sequence, chat id)


class Closed(Exception):
    """The queues were closed: the sender is stopping."""


class ScopeQueues:
    """Per-chat queues of claimed rows and the ready chats, for the sender's workers."""

    __slots__ = (
        "_busy",
        "_closed",
        "_groups_busy",
        "_live",
        "_queues",
        "_ready",
        "_seq",
        "_wake",
        "group_slots",
    )

    def __init__(self, group_slots: int) -> None:
        self.group_slots = max(1, group_slots)
        self._queues: dict[int, list[tuple[int, int, Claimed]]] = {}
        self._ready: dict[bool, list[_Entry]] = {True: [], False: []}  # keyed by "is group"
        self._live: dict[int, int] = {}  # chat -> sequence of its valid ready entry
        self._busy: set[int] = set()
        self._groups_busy = 0
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._closed = False

    # -- what the producer sees ---------------------------------------------------------
    def held(self) -> dict[int, int]:
        """Rows held per chat (queued, or in flight)."""
        counts = {chat: len(rows) for chat, rows in self._queues.items()}
        for chat in self._busy:
            counts[chat] = counts.get(chat, 0) + 1
        return counts

    @property
    def soon(self) -> int:
        """Private-chat rows held (in flight or queued): what the global rate will send in
        the next seconds. Group rows go at 20 per minute a chat; they are bounded apart."""
        busy = sum(1 for chat in self._busy if chat > 0)
        return busy + sum(len(rows) for chat, rows in self._queues.items() if chat > 0)

    @property
    def groups_full(self) -> bool:
        """Group and channel rows held fill their slots twice over: claim no more of them."""
        queued = sum(len(rows) for chat, rows in self._queues.items() if chat <= 0)
        return self._groups_busy + queued >= 2 * self.group_slots

    @property
    def in_flight(self) -> int:
        return len(self._busy)

    # -- filling and taking ---------------------------------------------------------------
    def put(self, rows: list[Claimed]) -> None:
        for row in rows:
            queue = self._queues.setdefault(row.chat_id, [])
            heapq.heappush(queue, (row.priority, row.id, row))
            if row.chat_id not in self._busy and queue[0][2] is row:
                self._mark_ready(row.chat_id)
        self._wake.set()

    async def take(self) -> Claimed:
        """The next row a worker should send; waits for one. Raises Closed when closed."""
        while True:
            if self._closed:
                raise Closed
            row = self._pop()
            if row is not None:
                return row
            self._wake.clear()
            await self._wake.wait()

    def done(self, row: Claimed) -> None:
        """``row`` finished (whatever its outcome): its chat may send its next row."""
        chat = row.chat_id
        if chat not in self._busy:
            return
        self._busy.discard(chat)
        if chat <= 0:
            self._groups_busy -= 1
        if self._queues.get(chat):
            self._mark_ready(chat)
        self._wake.set()

    def drain(self) -> list[Claimed]:
        """Remove and return every queued row (rows in flight stay theirs)."""
        rows = [row for queue in self._queues.values() for _, _, row in queue]
        self._queues.clear()
        self._live.clear()
        self._ready = {True: [], False: []}
        return rows

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    # -- internals --------------------------------------------------------------------------
    def _mark_ready(self, chat: int) -> None:
        seq = next(self._seq)
        self._live[chat] = seq
        heapq.heappush(self._ready[chat <= 0], (self._queues[chat][0][0], seq, chat))

    def _head(self, group: bool) -> _Entry | None:
        heap = self._ready[group]
        while heap and self._live.get(heap[0][2]) != heap[0][1]:
            heapq.heappop(heap)  # a stale entry: the chat went busy or was re-marked
        return heap[0] if heap else None

    def _pop(self) -> Claimed | None:
        private = self._head(False)
        group = self._head(True) if self._groups_busy < self.group_slots else None
        choice = min((e for e in (private, group) if e is not None), default=None)
        if choice is None:
            return None
        chat = choice[2]
        heapq.heappop(self._ready[chat <= 0])
        del self._live[chat]
        queue = self._queues[chat]
        _, _, row = heapq.heappop(queue)
        if not queue:
            del self._queues[chat]
        self._busy.add(chat)
        if chat <= 0:
            self._groups_busy += 1
        return row
