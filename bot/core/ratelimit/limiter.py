"""A Telegram-aware rate limiter for python-telegram-bot, with two lanes.

Every sending or editing request is admitted against the global window and its
chat's window (private or group/channel) before it goes out; other requests
(``getUpdates``, ``answerCallbackQuery``, ``getChat`` ...) pass straight through.
Interactive requests (the default: a user is waiting) are always admitted before
waiting bulk requests (``rate_limit_args={"lane": "bulk"}``, used by the outbox
sender). A 429 closes the scope it hit for ``retry_after`` and the request is
retried, so callers never see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.core.logging import get_logger
from bot.core.metrics import Metrics
from bot.core.ratelimit.backend import GLOBAL, LimitBackend, MemoryBackend, Scope, Window
from bot.core.tasks import cancel_and_wait

log = get_logger(__name__)

INTERACTIVE, BULK = "interactive", "bulk"
_FREE = frozenset({"sendChatAction"})
_LIMITED = frozenset(
    {"copyMessage", "copyMessages", "forwardMessage", "forwardMessages", "stopPoll"}
)
Callback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]


def is_limited(endpoint: str) -> bool:
    """Whether Telegram counts ``endpoint`` against the flood limits (sends and edits)."""
    if endpoint in _FREE:
        return False
    return endpoint.startswith(("send", "edit")) or endpoint in _LIMITED


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """The windows: global, per private chat, per group or channel, and the paid lane."""

    total: Window
    private: Window
    group: Window
    paid: Window

    def scopes(self, data: dict[str, Any]) -> tuple[Scope, ...]:
        total = Scope("paid", self.paid) if data.get("allow_paid_broadcast") else None
        scopes = [total or Scope(GLOBAL, self.total)]
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if isinstance(chat_id, int) and chat_id > 0:
            scopes.append(Scope(f"private:{chat_id}", self.private))
        elif chat_id is not None:
            scopes.append(Scope(f"group:{chat_id}", self.group))
        return tuple(scopes)


@dataclass(slots=True, eq=False)
class _Waiter:
    scopes: tuple[Scope, ...]
    token: str
    granted: asyncio.Future[None]


def _seconds(retry_after: timedelta | float) -> float:
    """Seconds to wait; without PTB_TIMEDELTA, PTB rounds down to whole seconds: wait >= 1."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return max(float(retry_after), 1.0)


class CompanionRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """Admits requests in lane order against a :class:`LimitBackend` (memory or Redis)."""

    __slots__ = ("_dispatcher", "_ids", "_lanes", "_wake", "backend", "metrics", "policy")

    def __init__(
        self,
        policy: RatePolicy,
        backend: LimitBackend | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.policy = policy
        self.backend = backend if backend is not None else MemoryBackend()
        self.metrics = metrics
        self._lanes: dict[str, deque[_Waiter]] = {INTERACTIVE: deque(), BULK: deque()}
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._ids = itertools.count()

    async def initialize(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch(), name="ratelimit-dispatch")

    async def shutdown(self) -> None:
        if self._dispatcher is not None:
            await cancel_and_wait([self._dispatcher], what="rate limiter")
            self._dispatcher = None
        await self.backend.aclose()

    def waiting(self, lane: str) -> int:
        return len(self._lanes[lane])

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if not is_limited(endpoint):
            return await callback(*args, **kwargs)
        lane = BULK if (rate_limit_args or {}).get("lane") == BULK else INTERACTIVE
        scopes = self.policy.scopes(data)
        while True:
            token = await self._admit(lane, scopes)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                await self._on_429(scopes, _seconds(exc.retry_after), endpoint)
            finally:
                await self.backend.release(scopes, token)
                self._wake.set()

    async def _on_429(self, scopes: tuple[Scope, ...], seconds: float, endpoint: str) -> None:
        """Close the chat's scope (the global one for chat-less requests) and retry."""
        scope = scopes[-1]
        kind = scope.key.split(":", 1)[0]
        if self.metrics is not None:
            self.metrics.too_many_requests.labels(kind).inc()
        log.warning("429 from Telegram", scope=scope.key, retry_after=seconds, endpoint=endpoint)
        await self.backend.close(scope, seconds)

    async def _admit(self, lane: str, scopes: tuple[Scope, ...]) -> str:
        if self._dispatcher is None:  # used before initialize(): start lazily
            await self.initialize()
        waiter = _Waiter(scopes, f"{id(self)}-{next(self._ids)}", asyncio.Future())
        self._lanes[lane].append(waiter)
        self._wake.set()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter.granted.done() and not waiter.granted.cancelled():
                await self.backend.release(scopes, waiter.token)
            raise
        return waiter.token

    async def _dispatch(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await self._grant()
            except Exception:
                log.exception("rate limiter backend failed; retrying")
                delay = 1.0
            if delay is None:
                await self._wake.wait()
                continue
            # asyncio.timeout, not wait_for: on Python 3.11, wait_for returns normally when
            # the wake-up and a cancellation land together, so shutdown() waited forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(delay, self.backend.poll_interval)):
                    await self._wake.wait()

    async def _grant(self) -> float | None:
        """Admit every waiter that fits, interactive first; the seconds until one might fit."""
        soonest: float | None = None
        blocked: set[str] = set()
        for lane in (INTERACTIVE, BULK):
            queue = self._lanes[lane]
            for waiter in list(queue):
                if waiter.granted.done():
                    queue.remove(waiter)
                    continue
                if waiter.scopes[-1].key in blocked:
                    continue
                verdict = await self.backend.acquire(waiter.scopes, waiter.token)
                if verdict.scope is None:
                    queue.remove(waiter)
                    if waiter.granted.cancelled():
                        await self.backend.release(waiter.scopes, waiter.token)
                    else:
                        waiter.granted.set_result(None)
                    continue
                soonest = verdict.wait if soonest is None else min(soonest, verdict.wait)
                if verdict.scope is waiter.scopes[0]:
                    return soonest  # the global window is full: nobody else may go
                blocked.add(verdict.scope.key)
        return soonest
