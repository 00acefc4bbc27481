"""Sliding windows in Redis, shared by every process that uses the same Redis and token.

Each scope is a sorted set of send tokens scored by when their slot expires from
the window's point of view: ``now + flight`` while the answer is awaited (so a
process that dies mid-send frees its slots after ``flight``), then the answer's
time. One Lua script checks and takes the slots of all scopes atomically, on
Redis's own clock, so processes on different machines agree. Times are milliseconds
with the microseconds kept: rounded to whole milliseconds, a slot could free up to
1 ms before its period ended.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from bot.core.ratelimit.backend import ADMITTED, LimitBackend, Scope, Verdict

_ACQUIRE = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local token, flight = ARGV[1], tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  local limit, period = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local closed = redis.call('PTTL', key .. ':closed')
  if closed > 0 then return {closed, i} end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
  local used = redis.call('ZCARD', key)
  if used >= limit then
    local freeing = redis.call('ZRANGE', key, used - limit, used - limit, 'WITHSCORES')
    local wait = tonumber(freeing[2]) + period - now
    if wait < 1 then wait = 1 end
    return {wait, i}
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + flight, token)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 + 2 * i]) + flight + 1000)
end
return {0, 0}
"""

_RELEASE = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now, ARGV[1])
end
return 0
"""


class RedisBackend(LimitBackend):
    """The windows of :class:`~bot.core.ratelimit.backend.MemoryBackend`, kept in Redis."""

    __slots__ = ("_acquire", "_release", "flight", "margin", "prefix", "redis")

    poll_interval = 0.02  # slots freed by other processes do not wake this one

    def __init__(
        self,
        redis: Redis,
        *,
        margin: float = 0.0,
        prefix: str = "companion:rl:",
        flight: float = 30,
    ) -> None:
        self.redis, self.margin, self.prefix, self.flight = redis, margin, prefix, flight
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)

    def _keys(self, scopes: Sequence[Scope]) -> list[str]:
        return [self.prefix + scope.key for scope in scopes]

    async def acquire(self, scopes: Sequence[Scope], token: str) -> Verdict:
        args: list[str | int] = [token, int(self.flight * 1000)]
        for scope in scopes:
            args += [scope.window.limit, int((scope.window.period + self.margin) * 1000)]
        wait_ms, index = await self._acquire(keys=self._keys(scopes), args=args)
        if not index:
            return ADMITTED
        return Verdict(int(wait_ms) / 1000, scopes[int(index) - 1])

    async def release(self, scopes: Sequence[Scope], token: str) -> None:
        await self._release(keys=self._keys(scopes), args=[token])

    async def close(self, scope: Scope, seconds: float) -> None:
        key = f"{self.prefix}{scope.key}:closed"
        await self.redis.set(key, 1, px=max(1, int(seconds * 1000)))

    async def aclose(self) -> None:
        await self.redis.aclose()
