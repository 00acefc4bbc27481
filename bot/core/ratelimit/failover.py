"""The Redis windows while Redis answers, this process's windows while it does not.

A Redis error opens the shared :class:`~bot.core.kernel.breaker.CircuitBreaker`: sends are
then admitted against an in-memory backend (exact for one process; each of several
processes then limits only itself) and Redis is probed every few seconds, by a ping in
the background, so a Redis that hangs never holds the dispatcher. A send is
released on the backend that admitted it; a release that fails is dropped (its Redis
slot expires after the backend's ``flight``), never raised into a send that happened.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from bot.core.kernel import CircuitBreaker, cancel_and_wait
from bot.core.kernel.rediscache import REDIS_ERRORS
from bot.core.ratelimit.backend import LimitBackend, MemoryBackend, Scope, Verdict
from bot.core.ratelimit.redis import RedisBackend


class FailoverBackend(LimitBackend):
    """``primary`` (Redis) behind ``breaker``, ``fallback`` (memory) meanwhile."""

    __slots__ = ("_held", "_probe", "breaker", "fallback", "poll_interval", "primary")

    def __init__(
        self, primary: RedisBackend, fallback: MemoryBackend, breaker: CircuitBreaker
    ) -> None:
        self.primary, self.fallback, self.breaker = primary, fallback, breaker
        self.poll_interval = primary.poll_interval
        self._held: dict[str, LimitBackend] = {}  # token -> the backend that admitted it
        self._probe: asyncio.Task[None] | None = None

    async def acquire(self, scopes: Sequence[Scope], token: str) -> Verdict:
        current = self.fallback if self.breaker.degraded else self.primary
        self.poll_interval = current.poll_interval  # the breaker may change state elsewhere
        if not self.breaker.degraded:
            try:
                verdict = await self.primary.acquire(scopes, token)
            except REDIS_ERRORS as exc:
                self._failed(exc)
            else:
                return self._hold(verdict, token, self.primary)
        elif self.breaker.allow() and (self._probe is None or self._probe.done()):
            self._probe = asyncio.create_task(self._ping(), name="redis-probe")
        return self._hold(await self.fallback.acquire(scopes, token), token, self.fallback)

    async def _ping(self) -> None:
        try:
            await self.primary.redis.ping()
        except REDIS_ERRORS as exc:
            self._failed(exc)
        else:
            self.breaker.succeeded()

    def _hold(self, verdict: Verdict, token: str, backend: LimitBackend) -> Verdict:
        if verdict.scope is None:
            self._held[token] = backend
        return verdict

    async def release(self, scopes: Sequence[Scope], token: str) -> None:
        backend = self._held.pop(token, self.fallback)
        if backend is self.fallback:
            await self.fallback.release(scopes, token)
        elif not self.breaker.degraded:
            try:
                await self.primary.release(scopes, token)
            except REDIS_ERRORS as exc:
                self._failed(exc)

    async def close(self, scope: Scope, seconds: float) -> None:
        await self.fallback.close(scope, seconds)  # known here too, should Redis go away
        if not self.breaker.degraded:
            try:
                await self.primary.close(scope, seconds)
            except REDIS_ERRORS as exc:
                self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self.breaker.failed(exc)
        self.poll_interval = self.fallback.poll_interval

    async def aclose(self) -> None:
        if self._probe is not None:
            await cancel_and_wait([self._probe], what="redis probe")
        with contextlib.suppress(*REDIS_ERRORS):  # nothing to free on a connection that is gone
            await self.primary.aclose()
