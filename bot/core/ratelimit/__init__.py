"""The rate limiter that keeps every send inside Telegram's flood limits."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.core.config import Settings
from bot.core.metrics import Metrics
from bot.core.ratelimit.backend import GLOBAL, LimitBackend, MemoryBackend, Scope, Verdict, Window
from bot.core.ratelimit.limiter import BULK, INTERACTIVE, CompanionRateLimiter, RatePolicy
from bot.core.ratelimit.redis import RedisBackend


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


def build_rate_limiter(settings: Settings, metrics: Metrics | None = None) -> CompanionRateLimiter:
    """In memory, or shared through Redis when ``REDIS_URL`` is set."""
    margin = settings.rate_margin_seconds
    backend: LimitBackend = MemoryBackend(margin)
    if settings.redis_url:
        backend = RedisBackend(Redis.from_url(settings.redis_url), margin=margin)
    return CompanionRateLimiter(policy_from_settings(settings), backend, metrics)


__all__ = [
    "BULK",
    "GLOBAL",
    "INTERACTIVE",
    "CompanionRateLimiter",
    "LimitBackend",
    "MemoryBackend",
    "RatePolicy",
    "RedisBackend",
    "Scope",
    "Verdict",
    "Window",
    "build_rate_limiter",
    "policy_from_settings",
]
