"""The kernel: what every layer above stands on, built completely in one place.

Settings, database, clock, event bus, cache and metrics are constructed by
:func:`build_kernel` before any module, job runner or sender exists. Core's runner,
sender and alerts take the kernel in their constructors (never the services of the
application above), so nothing in core depends on what is built on top of it.
``kernel.uow()`` opens a unit of work: one transaction whose events reach the bus
only once it committed.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.kernel.breaker import CircuitBreaker
from bot.core.kernel.cache import Cache, MemoryCache
from bot.core.kernel.clock import Clock, SystemClock
from bot.core.kernel.db import Database
from bot.core.kernel.events import EventBus
from bot.core.kernel.metrics import Metrics
from bot.core.kernel.redaction import redact
from bot.core.kernel.settings import Settings
from bot.core.kernel.uow import UnitOfWork


@dataclass(slots=True, eq=False)
class Kernel:
    """The parts below everything, each built once."""

    settings: Settings
    db: Database
    bus: EventBus
    clock: Clock
    cache: Cache
    metrics: Metrics
    redis_breaker: CircuitBreaker | None  # with REDIS_URL: Redis reachable or not

    def uow(self) -> UnitOfWork:
        """``async with kernel.uow() as uow:`` one transaction; events published on commit."""
        return UnitOfWork(self.db, self.bus)


def build_cache(settings: Settings, breaker: CircuitBreaker | None = None) -> Cache:
    """Redis (behind a breaker, with an in-memory fallback) when ``REDIS_URL`` is set."""
    if settings.redis_url:
        from bot.core.kernel.rediscache import FailoverCache, redis_client  # Redis only when set

        breaker = breaker or CircuitBreaker("redis", settings.redis_retry_seconds)
        return FailoverCache(redis_client(settings.redis_url), breaker)
    return MemoryCache()


def build_kernel(settings: Settings, *, clock: Clock | None = None) -> Kernel:
    """Every kernel part, complete; one Redis breaker shared by the cache and the limiter.
    The settings' secrets are masked from every text redacted in this process from now on
    (stored error texts too, even where logging was configured without them)."""
    redact.add(settings.secrets())
    clock = clock or SystemClock()
    metrics = Metrics()
    breaker = None
    if settings.redis_url:
        breaker = CircuitBreaker("redis", settings.redis_retry_seconds, metrics)
    return Kernel(
        settings=settings,
        db=Database(settings.database_url),
        bus=EventBus(
            on_failure=lambda event: metrics.event_handler_failures.labels(event).inc(),
            on_publish=lambda event: metrics.events.labels(event).inc(),
        ),
        clock=clock,
        cache=build_cache(settings, breaker),
        metrics=metrics,
        redis_breaker=breaker,
    )
