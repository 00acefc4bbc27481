"""The rate limiter that keeps every send inside Telegram's flood limits.

The Redis backends (:mod:`.redis`, :mod:`.failover`) are imported from their modules.
"""

from __future__ import annotations

from bot.core.kernel import CircuitBreaker, Metrics, Settings
from bot.core.ratelimit.backend import GLOBAL, LimitBackend, MemoryBackend, Scope, Verdict, Window
from bot.core.ratelimit.limiter import BULK, INTERACTIVE, CompanionRateLimiter, RatePolicy
from bot.core.ratelimit.tickets import Ticket, ticket


def policy_from_settings(settings: Settings) -> RatePolicy:
    """Windows from ``RATE_*`` settings (bursts make them sliding windows like Telegram's)."""
    total_burst = max(1, round(settings.rate_global_per_second))
    group_burst = max(1, round(settings.rate_group_per_minute))
    paid_burst = max(1, round(settings.rate_paid_per_second))
    return RatePolicy(
        total=Window.per_second(settings.rate_global_per_second, total_burst),
        private=Window.per_second(settings.rate_private_per_second, settings.rate_private_burst),
        group=Window.per_second(settings.rate_group_per_minute / 60, group_burst),
        paid=Window.per_second(settings.rate_paid_per_second, paid_burst),
    )


def build_rate_limiter(
    settings: Settings, metrics: Metrics | None = None, breaker: CircuitBreaker | None = None
) -> CompanionRateLimiter:
    """In memory, or shared through Redis when ``REDIS_URL`` is set (with the memory
    backend behind ``breaker`` while Redis is unreachable)."""
    margin = settings.rate_margin_seconds
    backend: LimitBackend = MemoryBackend(margin)
    if settings.redis_url:  # the Redis client is imported only then
        from bot.core.kernel.rediscache import redis_client
        from bot.core.ratelimit.failover import FailoverBackend
        from bot.core.ratelimit.redis import RedisBackend

        shared = RedisBackend(redis_client(settings.redis_url), margin=margin)
        breaker = breaker or CircuitBreaker("redis", settings.redis_retry_seconds, metrics)
        backend = FailoverBackend(shared, MemoryBackend(margin), breaker)
    return CompanionRateLimiter(policy_from_settings(settings), backend, metrics)


__all__ = [
    "BULK",
    "GLOBAL",
    "INTERACTIVE",
    "CompanionRateLimiter",
    "LimitBackend",
    "MemoryBackend",
    "RatePolicy",
    "Scope",
    "Ticket",
    "Verdict",
    "Window",
    "build_rate_limiter",
    "policy_from_settings",
    "ticket",
]
