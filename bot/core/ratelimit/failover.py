"""The Redis windows while Redis answers, this process's windows while it does not.

A Redis error opens the shared :class:`~bot.core.kernel.breaker.CircuitBreaker`: sends are
then admitted against an in-memory backend and Redis is probed every few seconds, by a
ping in the background, so a Redis that hangs never holds the dispatcher. In memory, each
of the live processes (``share``: counted at every instance heartbeat) takes its part of
the total scopes, so the cluster keeps to one budget (see ``backend.divided``). The sends
Redis counted in its last window are known nowhere else, so when Redis goes away the total
scopes pause for one window first (a second: four processes each starting afresh on top of
a full shared window earned a burst of 429s).

When Redis answers again, its windows know nothing of the sends made meanwhile, and the
other processes may still be in memory (each notices Redis's return at its own probe).
So for ``retry_seconds`` plus a window's period a send is admitted against both: the
share in memory caps this process as before, and Redis counts it. By the end of that
settling every process counts in Redis and Redis's window holds every recent send: the
shared window resumes without a burst.

A send is released on the backends that admitted it; a release that fails is dropped (its
Redis slot expires after the backend's ``flight``), never raised into a send that happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

from bot.core.kernel import CircuitBreaker, cancel_and_wait
from bot.core.kernel.rediscache import REDIS_ERRORS
from bot.core.ratelimit.backend import (
    ADMITTED,
    TOTALS,
    LimitBackend,
    MemoryBackend,
    Scope,
    Verdict,
)
from bot.core.ratelimit.redis import RedisBackend

SETTLE_PERIOD = 1.0  # the longest total window (global, paid), seconds; added to the settling


class FailoverBackend(LimitBackend):
    """``primary`` (Redis) behind ``breaker``, ``fallback`` (memory) meanwhile."""

    __slots__ = (
        "_down",
        "_held",
        "_probe",
        "_settled_at",
        "_totals",
        "breaker",
        "fallback",
        "poll_interval",
        "primary",
        "settle",
    )

    def __init__(
        self,
        primary: RedisBackend,
        fallback: MemoryBackend,
        breaker: CircuitBreaker,
        *,
        settle: float | None = None,
    ) -> None:
        """``settle``: seconds of settling after Redis's return (by default the breaker's
        ``retry_seconds`` plus the longest total window's period)."""
        self.primary, self.fallback, self.breaker = primary, fallback, breaker
        self.settle = breaker.retry_seconds + SETTLE_PERIOD if settle is None else settle
        self.poll_interval = primary.poll_interval
        # token -> the backends that admitted it
        self._held: dict[str, tuple[LimitBackend, ...]] = {}
        self._probe: asyncio.Task[None] | None = None
        self._down = False  # Redis was seen away and its return not yet noticed
        self._settled_at = 0.0  # monotonic end of the settling after Redis's return
        self._totals: dict[str, Scope] = {}  # the total scopes sends went through

    def share(self, peers: int) -> None:
        self.fallback.share(peers)

    def local(self, scope: Scope) -> Scope:
        return self.fallback.local(scope) if self.settling else scope

    @property
    def settling(self) -> bool:
        """Redis away, or back for less than the settling: this process keeps its share."""
        if self.breaker.degraded:
            self._went_down()
            return True
        if self._down:  # its return, noticed here first
            self._down = False
            self._settled_at = time.monotonic() + self.settle
        return time.monotonic() < self._settled_at

    def _went_down(self) -> None:
        """Redis is away (noticed here, or by the breaker's other user): the total scopes
        start in memory after a window's pause, once per outage."""
        if self._down:
            return
        self._down = True
        for scope in self._totals.values():
            self.fallback.pause(scope, scope.window.period + self.fallback.margin)

    async def acquire(self, scopes: Sequence[Scope], token: str) -> Verdict:
        for scope in scopes:
            if scope.key in TOTALS and scope.key not in self._totals:
                self._totals[scope.key] = scope
        settling = self.settling
        current = self.fallback if self.breaker.degraded else self.primary
        self.poll_interval = current.poll_interval  # the breaker may change state elsewhere
        if not self.breaker.degraded:
            try:
                if settling:
                    return await self._acquire_both(scopes, token)
                verdict = await self.primary.acquire(scopes, token)
            except REDIS_ERRORS as exc:
                self._failed(exc)
            else:
                return self._hold(verdict, token, self.primary)
        elif self.breaker.allow() and (self._probe is None or self._probe.done()):
            self._probe = asyncio.create_task(self._ping(), name="redis-probe")
        return self._hold(await self.fallback.acquire(scopes, token), token, self.fallback)

    async def _acquire_both(self, scopes: Sequence[Scope], token: str) -> Verdict:
        """This process's share in memory, then Redis's window; admitted by both or neither.
        A Redis error leaves the memory admission standing (Redis is away again)."""
        verdict = await self.fallback.acquire(scopes, token)
        if verdict.scope is not None:
            return verdict
        try:
            verdict = await self.primary.acquire(scopes, token)
        except REDIS_ERRORS as exc:
            self._failed(exc)
            return self._hold(ADMITTED, token, self.fallback)
        except BaseException:
            await self.fallback.cancel(scopes, token)
            raise
        if verdict.scope is not None:
            await self.fallback.cancel(scopes, token)
            return verdict
        return self._hold(verdict, token, self.fallback, self.primary)

    async def _ping(self) -> None:
        try:
            await self.primary.redis.ping()
        except REDIS_ERRORS as exc:
            self._failed(exc)
        else:
            self.breaker.succeeded()

    def _hold(self, verdict: Verdict, token: str, *backends: LimitBackend) -> Verdict:
        if verdict.scope is None:
            self._held[token] = backends
        return verdict

    async def release(self, scopes: Sequence[Scope], token: str) -> None:
        backends = self._held.pop(token, (self.fallback,))
        if self.fallback in backends:
            await self.fallback.release(scopes, token)
        if self.primary in backends and not self.breaker.degraded:
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
        self._went_down()
        self.poll_interval = self.fallback.poll_interval

    async def aclose(self) -> None:
        if self._probe is not None:
            await cancel_and_wait([self._probe], what="redis probe")
        with contextlib.suppress(*REDIS_ERRORS):  # nothing to free on a connection that is gone
            await self.primary.aclose()
