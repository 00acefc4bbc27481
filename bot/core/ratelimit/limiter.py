"""A Telegram-aware rate limiter for python-telegram-bot, with two lanes.

A send with ``allow_paid_broadcast`` counts against the paid total window
(``RATE_PAID_PER_SECOND``) instead of the free global one; its chat's window still holds.

Every sending or editing request is admitted against the global window and its
chat's window (private or group/channel) before it goes out; other requests
(``getUpdates``, ``answerCallbackQuery``, ``getChat`` ...) pass straight through.
Interactive requests (the default: a user is waiting) are always admitted before
waiting bulk requests (``rate_limit_args={"lane": "bulk"}``, used by the outbox
sender). A 429 closes the scope it hit for ``retry_after`` and the request is
retried, so callers never see it; it also lowers that scope's rate (see
``adaptive.py``). Telegram does not say which limit a 429 enforces: it is the chat's
when the chat had another send within its window, else the global one (a chat's
first message cannot break the chat's limit).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.core.kernel import ID_MAX, Metrics, ascii_int, cancel_and_wait, get_logger
from bot.core.ratelimit.adaptive import AdaptiveRates
from bot.core.ratelimit.backend import (
    GLOBAL,
    PAID,
    LimitBackend,
    MemoryBackend,
    Scope,
    Window,
)
from bot.core.ratelimit.pacing import Pacer
from bot.core.ratelimit.tickets import on_the_wire, refused

log = get_logger(__name__)

INTERACTIVE, BULK = "interactive", "bulk"
_FREE = frozenset({"sendChatAction"})
# Deleting counts too: a bulk delete (a broadcast's stop and delete) paced like its sends
# meets no 429.
_LIMITED = frozenset(
    {
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
        "stopPoll",
        "deleteMessage",
        "deleteMessages",
    }
)
RECENT_CHATS = 4096  # chats whose last admission is remembered (to attribute a 429)
# A 429 asking for a longer pause than this counts for the chat even if it looked idle (sent
# to by another process, or before a restart): closing the global scope that long would stop
# every chat, while a chat wrongly closed costs one chat.
CHAT_RETRY_AFTER = 10.0
Callback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]


def is_limited(endpoint: str) -> bool:
    """Whether Telegram counts ``endpoint`` against the flood limits (sends, edits, deletes)."""
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
        total = Scope(PAID, self.paid) if data.get("allow_paid_broadcast") else None
        scopes = [total or Scope(GLOBAL, self.total)]
        chat_id = data.get("chat_id")
        number = ascii_int(chat_id, -ID_MAX, ID_MAX) if isinstance(chat_id, str) else None
        chat_id = chat_id if number is None else number  # "@name" (or "-²") stays a name
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


@dataclass(frozen=True, slots=True)
class _Admission:
    """A granted send: its token, when, and whether its chat had another send in its window."""

    token: str
    at: float
    chat_busy: bool


def _seconds(retry_after: timedelta | float) -> float:
    """Seconds to wait; without PTB_TIMEDELTA, PTB rounds down to whole seconds: wait >= 1."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return max(float(retry_after), 1.0)


class CompanionRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """Admits requests in lane order against a :class:`LimitBackend` (memory or Redis)."""

    __slots__ = (
        "_dispatcher",
        "_failing",
        "_ids",
        "_lanes",
        "_recent",
        "_wake",
        "adaptive",
        "backend",
        "metrics",
        "pacer",
        "policy",
    )

    def __init__(
        self,
        policy: RatePolicy,
        backend: LimitBackend | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.policy = policy
        self.backend = backend if backend is not None else MemoryBackend()
        self.metrics = metrics
        self.adaptive = AdaptiveRates()
        self.pacer = Pacer()
        self._lanes: dict[str, deque[_Waiter]] = {INTERACTIVE: deque(), BULK: deque()}
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._ids = itertools.count()
        self._recent: OrderedDict[str, float] = OrderedDict()
        self._failing = False
        if metrics is not None:
            self._export_rates(metrics)

    def _export_rates(self, metrics: Metrics) -> None:
        """The learned rates as gauges, read at each scrape."""
        gauge, adaptive = metrics.ratelimit_rate, self.adaptive
        for key, window in ((GLOBAL, self.policy.total), (PAID, self.policy.paid)):
            ceiling = window.limit / window.period
            gauge.labels(key).set_function(partial(adaptive.rate, key, ceiling))
        for kind, window in (("private", self.policy.private), ("group", self.policy.group)):
            ceiling = window.limit / window.period
            gauge.labels(kind).set_function(partial(adaptive.lowest, kind, ceiling))

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

    def share(self, peers: int) -> None:
        """``peers`` processes of the bot are alive: while the windows are not shared (no
        Redis, or Redis away), this one takes ``1/peers`` of each total limit."""
        self.backend.share(peers)

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
        busy: bool | None = None  # a retry's own first attempt does not make its chat busy
        while True:
            admission = await self._admit(lane, scopes)
            if busy is None:
                busy = admission.chat_busy
            admission = replace(admission, chat_busy=busy)
            on_the_wire()
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                refused()  # nothing reached the chat: the retry waits like a new send
                await self._on_429(scopes, _seconds(exc.retry_after), endpoint, admission)
            else:
                for scope in scopes:
                    self.adaptive.succeeded(scope)
                return result
            finally:
                await self._release(scopes, admission.token)

    async def _release(self, scopes: tuple[Scope, ...], token: str) -> None:
        """Never raises: the send it follows has happened, and must not be made again."""
        try:
            await self.backend.release(scopes, token)
        except Exception as exc:
            log.warning("rate limiter release failed", error=str(exc))
        self._wake.set()

    async def _on_429(
        self, scopes: tuple[Scope, ...], seconds: float, endpoint: str, admission: _Admission
    ) -> None:
        """Close the scope the 429 enforces, learn a lower rate for it, and retry."""
        chat = admission.chat_busy or seconds > CHAT_RETRY_AFTER
        scope = scopes[-1] if chat else scopes[0]
        kind = scope.key.split(":", 1)[0]
        if self.metrics is not None:
            self.metrics.too_many_requests.labels(kind).inc()
        lowered = self.adaptive.decrease(scope, admission.at)
        log.warning(
            "429 from Telegram",
            scope=scope.key,
            retry_after=seconds,
            endpoint=endpoint,
            **({"rate": round(self.adaptive.rate(scope.key, 0.0), 2)} if lowered else {}),
        )
        await self.backend.close(scope, seconds)

    def _effective(self, scopes: tuple[Scope, ...]) -> tuple[Scope, ...]:
        return tuple(self.adaptive.effective(scope) for scope in scopes)

    def _admitted(self, scopes: tuple[Scope, ...], token: str) -> _Admission:
        """Remember when the chat was last sent to (bounded), to attribute a later 429."""
        now = time.monotonic()
        chat = scopes[-1]
        if len(scopes) < 2:
            return _Admission(token, now, False)
        previous = self._recent.pop(chat.key, None)
        self._recent[chat.key] = now
        if len(self._recent) > RECENT_CHATS:
            self._recent.popitem(last=False)
        busy = previous is not None and now - previous < chat.window.period
        return _Admission(token, now, busy)

    async def _admit(self, lane: str, scopes: tuple[Scope, ...]) -> _Admission:
        if self._dispatcher is None:  # used before initialize(): start lazily
            await self.initialize()
        waiter = _Waiter(scopes, f"{id(self)}-{next(self._ids)}", asyncio.Future())
        self._lanes[lane].append(waiter)
        self._wake.set()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter.granted.done() and not waiter.granted.cancelled():
                await self._release(scopes, waiter.token)
            raise
        return self._admitted(scopes, waiter.token)

    async def _dispatch(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await self._grant()
            except Exception:
                if not self._failing:  # once per failure, not every retry
                    log.exception("rate limiter backend failed; retrying every second")
                self._failing, delay = True, 1.0
            else:
                if self._failing:
                    log.info("rate limiter backend answers again")
                self._failing = False
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
                if waiter.scopes[0].key in blocked or waiter.scopes[-1].key in blocked:
                    continue
                scopes = self._effective(waiter.scopes)  # the same keys, learned rates
                paced = self.backend.local(scopes[0])  # this process's share of it
                if lane == BULK and (pause := self.pacer.wait(paced, time.monotonic())):
                    soonest = pause if soonest is None else min(soonest, pause)
                    blocked.add(scopes[0].key)  # bulk sends are spaced out, replies are not
                    continue
                verdict = await self.backend.acquire(scopes, waiter.token)
                if verdict.scope is None:
                    queue.remove(waiter)
                    await self._granted(waiter, paced)
                    continue
                soonest = verdict.wait if soonest is None else min(soonest, verdict.wait)
                # A full total window (free or paid) stops every send in it, and only those:
                # a paid send behind a free one waiting for the global window still goes.
                blocked.add(verdict.scope.key)
        return soonest

    async def _granted(self, waiter: _Waiter, total: Scope) -> None:
        if waiter.granted.cancelled():
            await self._release(waiter.scopes, waiter.token)
            return
        waiter.granted.set_result(None)
        self.pacer.took(total, time.monotonic())  # replies count: bulk fills what they leave
