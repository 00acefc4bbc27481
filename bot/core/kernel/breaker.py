"""A circuit breaker: a dependency that fails is left alone for a while, then probed.

Closed (the dependency answers): every call goes to it. The first failure opens the
breaker: callers use their fallback, and one call every ``retry_seconds`` probes the
dependency again; the first success closes it. Each change of state is one log line
(not one per call), the state is a gauge and the time spent open a counter, and the
reason is kept for ``/healthz``.
"""

from __future__ import annotations

import time

from bot.core.kernel.logging import get_logger
from bot.core.kernel.metrics import Metrics

log = get_logger(__name__)


class CircuitBreaker:
    """Shared by every user of one dependency (Redis: the rate limiter and the cache)."""

    __slots__ = ("_accounted", "_retry_at", "metrics", "name", "reason", "retry_seconds", "since")

    def __init__(self, name: str, retry_seconds: float = 5.0, metrics: Metrics | None = None):
        self.name, self.retry_seconds, self.metrics = name, retry_seconds, metrics
        self.reason: str | None = None  # why it is open; None while closed
        self.since = 0.0
        self._retry_at = 0.0
        self._accounted = 0.0
        if metrics is not None:
            metrics.redis_degraded.set(0)

    @property
    def degraded(self) -> bool:
        return self.reason is not None

    def allow(self) -> bool:
        """Whether to call the dependency now: always while closed; while open, one probe
        every ``retry_seconds`` (the others use the fallback meanwhile)."""
        if self.reason is None:
            return True
        now = time.monotonic()
        self.account(now)
        if now < self._retry_at:
            return False
        self._retry_at = now + self.retry_seconds
        return True

    def succeeded(self) -> None:
        if self.reason is None:
            return
        now = time.monotonic()
        self.account(now)
        log.warning(
            f"{self.name} answers again: shared backend in use",
            down_seconds=round(now - self.since, 1),
        )
        self.reason = None
        if self.metrics is not None:
            self.metrics.redis_degraded.set(0)

    def failed(self, error: BaseException) -> None:
        now = time.monotonic()
        self._retry_at = now + self.retry_seconds
        if self.reason is not None:
            return
        self.reason = f"{type(error).__name__}: {error}"[:300]
        self.since = self._accounted = now
        log.warning(
            f"{self.name} unreachable: using this process's memory",
            reason=self.reason,
            retry_every=self.retry_seconds,
        )
        if self.metrics is not None:
            self.metrics.redis_degraded.set(1)

    def account(self, now: float | None = None) -> None:
        """Add the time spent open since the last call to the counter (also on scrapes)."""
        now = time.monotonic() if now is None else now
        if self.reason is not None and self.metrics is not None:
            self.metrics.redis_degraded_seconds.inc(max(0.0, now - self._accounted))
        self._accounted = now

    def describe(self) -> str:
        """``ok``, or ``degraded`` with the reason and for how long, for ``/healthz``."""
        if self.reason is None:
            return "ok"
        return f"degraded for {time.monotonic() - self.since:.0f} s: {self.reason}"
