"""Telegram's flood limits as the sandbox enforces them: sliding windows per scope.

Telegram does not publish exact numbers; these follow its Bot FAQ: about one
message per second in one chat (short bursts pass), 20 per minute in one group
or channel, about 30 per second in total; a send with ``allow_paid_broadcast`` counts
against a paid total of 1,000 per second instead of the free 30 (each chat's limit still
holds). A request over a limit is answered
429 with ``retry_after``; a scope stays closed until then, and retrying early
prolongs it by a second.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

from bot.core.ratelimit import Window

# At most ``limit`` events in any ``period`` seconds: the rate limiter's own kind of window.
SlidingWindow = Window
TOTAL, PRIVATE, GROUP = SlidingWindow(30, 1.0), SlidingWindow(3, 3.0), SlidingWindow(20, 60.0)
PAID = SlidingWindow(1000, 1.0)  # sends with allow_paid_broadcast, in place of TOTAL


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """The sandbox's limits; ``None`` lifts them (a paid-broadcast-like lane)."""

    total: SlidingWindow | None = TOTAL
    private: SlidingWindow | None = PRIVATE
    group: SlidingWindow | None = GROUP
    paid: SlidingWindow | None = PAID

    @classmethod
    def lifted(cls) -> FloodLimits:
        return cls(total=None, private=None, group=None, paid=None)


@dataclass(slots=True)
class _Scope:
    window: SlidingWindow
    stamps: deque[float] = field(default_factory=deque)
    closed_until: float = 0.0

    def retry_after(self, now: float) -> float:
        """Seconds until a send is allowed, 0 when it is allowed now."""
        if now < self.closed_until:
            # An early retry prolongs the ban (bounded, so the sandbox stays usable).
            self.closed_until = max(self.closed_until, now + 1.0)
            return self.closed_until - now
        while self.stamps and self.stamps[0] <= now - self.window.period:
            self.stamps.popleft()
        if len(self.stamps) < self.window.limit:
            return 0.0
        wait = self.stamps[0] + self.window.period - now
        self.closed_until = now + wait
        return wait


class FloodGate:
    """Decides, per request, whether Telegram would answer 429."""

    __slots__ = ("_scopes", "limits", "rejected")

    def __init__(self, limits: FloodLimits) -> None:
        self.limits = limits
        self._scopes: dict[str, _Scope] = {}
        self.rejected: dict[str, int] = {"total": 0, "private": 0, "group": 0, "paid": 0}

    def check(self, chat_id: int, now: float | None = None, *, paid: bool = False) -> int:
        """0 to let the send through (and count it), else the ``retry_after`` seconds;
        ``paid``: sent with ``allow_paid_broadcast`` (the paid total instead of the free one)."""
        now = time.monotonic() if now is None else now
        kind = "private" if chat_id > 0 else "group"
        total = "paid" if paid else "total"
        named = [(total, self._scope(total, None)), (kind, self._scope(kind, chat_id))]
        scopes = [(name, scope) for name, scope in named if scope is not None]
        for name, scope in scopes:
            wait = scope.retry_after(now)
            if wait > 0:
                self.rejected[name] += 1
                return max(1, math.ceil(wait))
        for _, scope in scopes:
            scope.stamps.append(now)
        return 0

    def _scope(self, kind: str, chat_id: int | None) -> _Scope | None:
        window: SlidingWindow | None = getattr(self.limits, kind)
        if window is None:
            return None
        key = kind if chat_id is None else f"{kind}:{chat_id}"
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = _Scope(window)
        return scope
