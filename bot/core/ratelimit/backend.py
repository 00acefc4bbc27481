"""Where the sliding windows of the rate limiter live: this process, or a shared Redis.

A window counts a send from the moment it is admitted until ``period`` after
its answer came back. Telegram stamps a request somewhere between the two, so
counting from the answer can never under-count, whatever the network jitter.

Windows in memory cannot see the sends of other processes: with ``peers`` processes each
counting only its own, each takes ``1/peers`` of every total scope (``global``, ``paid``),
so together they stay within the limit (see :func:`divided`). A chat's scope is not
divided: a chat's messages come from whichever process holds them, and usually one does.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

GLOBAL = "global"
PAID = "paid"
TOTALS = frozenset({GLOBAL, PAID})  # the scopes every send of the bot counts against


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` sends in any ``period`` seconds."""

    limit: int
    period: float

    @classmethod
    def per_second(cls, rate: float, burst: int) -> Window:
        """``burst`` sends at once, ``rate`` per second on average."""
        return cls(burst, burst / rate)


@dataclass(frozen=True, slots=True)
class Scope:
    """One limit that a send counts against: ``global``, ``private:<id>`` or ``group:<id>``."""

    key: str
    window: Window


@dataclass(frozen=True, slots=True)
class Verdict:
    """``wait == 0``: admitted in every scope; else seconds to wait and the scope that refused."""

    wait: float
    scope: Scope | None = None


ADMITTED = Verdict(0.0)


def divided(scope: Scope, peers: int) -> Scope:
    """One of ``peers`` processes' share of ``scope`` when none sees the others' sends: a
    total scope keeps its period and gets ``1/peers`` of its slots, rounded down (so that
    together they never exceed it); with more peers than slots, one slot in a period as
    many times longer as needed. A chat's scope, or a single process, is unchanged."""
    if peers <= 1 or scope.key not in TOTALS:
        return scope
    window = scope.window
    if window.limit >= peers:
        return replace(scope, window=Window(window.limit // peers, window.period))
    stretch = math.ceil(peers / window.limit)
    return replace(scope, window=Window(1, window.period * stretch))


class LimitBackend(ABC):
    """Admits sends against sliding windows; implementations must be atomic per call."""

    __slots__ = ()

    #: How long the scheduler may sleep before asking again when it cannot be woken
    #: (a slot freed by another process is invisible to this one).
    poll_interval: float = 0.25

    @abstractmethod
    async def acquire(self, scopes: Sequence[Scope], token: str) -> Verdict:
        """Take a slot in every scope, or none of them."""

    @abstractmethod
    async def release(self, scopes: Sequence[Scope], token: str) -> None:
        """The send ``token`` got its answer: its slots expire ``period`` from now."""

    @abstractmethod
    async def close(self, scope: Scope, seconds: float) -> None:
        """Refuse every send in ``scope`` for ``seconds`` (a 429's ``retry_after``)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, nothing to free by default
        """Free connections."""

    def share(self, peers: int) -> None:  # noqa: B027 - only windows in memory are divided
        """``peers`` processes of the bot are alive (this one included)."""

    def local(self, scope: Scope) -> Scope:
        """What this process may use of ``scope`` now (all of it when the window is shared)."""
        return scope


class _Log:
    """One scope's state: answers of the last ``period`` seconds, sends in flight."""

    __slots__ = ("closed_until", "ends", "in_flight", "period")

    def __init__(self, period: float) -> None:
        self.period = period
        self.ends: deque[float] = deque()
        self.in_flight = 0
        self.closed_until = 0.0

    def wait(self, limit: int, now: float, period: float | None = None) -> float:
        """Seconds until a send fits ``limit`` sends per ``period`` (the log's by default)."""
        period = self.period if period is None else period
        if now < self.closed_until:
            return self.closed_until - now
        while self.ends and self.ends[0] <= now - period:
            self.ends.popleft()
        excess = len(self.ends) + self.in_flight - limit
        if excess < 0:
            return 0.0
        if excess < len(self.ends):
            return self.ends[excess] + period - now
        return period  # only answers still to come would free a slot

    def idle(self, now: float) -> bool:
        return (
            not self.in_flight
            and self.closed_until <= now
            and (not self.ends or self.ends[-1] <= now - self.period)
        )


class MemoryBackend(LimitBackend):
    """Windows in this process. Idle scopes are dropped, so memory follows recent traffic,
    not the number of chats ever seen. With ``peers`` processes alive, each total scope is
    :func:`divided` among them."""

    __slots__ = ("_tables", "margin", "peers")

    def __init__(self, margin: float = 0.0) -> None:
        self.margin = margin
        self.peers = 1
        # One table per window period (learned rates change a window's limit, never its
        # period): in a table, least recently used = soonest idle.
        self._tables: dict[float, OrderedDict[str, _Log]] = {}

    def __len__(self) -> int:
        return sum(len(table) for table in self._tables.values())

    def _log(self, scope: Scope) -> _Log:
        table = self._tables.setdefault(scope.window.period, OrderedDict())
        log = table.get(scope.key)
        if log is None:
            log = table[scope.key] = _Log(scope.window.period + self.margin)
        else:
            table.move_to_end(scope.key)
        return log

    def share(self, peers: int) -> None:
        self.peers = max(1, peers)

    def local(self, scope: Scope) -> Scope:
        return divided(scope, self.peers)

    async def acquire(self, scopes: Sequence[Scope], token: str) -> Verdict:
        now = time.monotonic()
        logs = [self._log(scope) for scope in scopes]  # found by the scope as configured
        for scope, log in zip(scopes, logs, strict=True):
            window = self.local(scope).window
            wait = log.wait(window.limit, now, window.period + self.margin)
            if wait > 0:
                return Verdict(wait, scope)
        for log in logs:
            log.in_flight += 1
        return ADMITTED

    async def cancel(self, scopes: Sequence[Scope], token: str) -> None:
        """The send ``token`` was admitted here but will not be made: its slots are free."""
        for scope in scopes:
            log = self._log(scope)
            log.in_flight = max(0, log.in_flight - 1)

    async def release(self, scopes: Sequence[Scope], token: str) -> None:
        now = time.monotonic()
        for scope in scopes:
            log = self._log(scope)
            log.in_flight = max(0, log.in_flight - 1)
            log.ends.append(now)
        self.evict(now)

    async def close(self, scope: Scope, seconds: float) -> None:
        self.pause(scope, seconds)

    def pause(self, scope: Scope, seconds: float) -> None:
        """Refuse every send in ``scope`` for ``seconds``."""
        log = self._log(scope)
        log.closed_until = max(log.closed_until, time.monotonic() + seconds)

    def evict(self, now: float | None = None) -> None:
        """Drop the scopes that no longer hold anything."""
        now = time.monotonic() if now is None else now
        for table in self._tables.values():
            while table:
                key, log = next(iter(table.items()))
                if not log.idle(now):
                    break
                del table[key]
