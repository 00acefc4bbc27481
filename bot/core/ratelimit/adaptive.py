"""Rates learned from Telegram's 429s: multiplicative decrease, additive increase.

Telegram sometimes enforces a lower rate than its FAQ's (for some bots, some days).
A 429 on a scope the limiter had admitted a send into shows that the real limit is
lower than the configured one, so the scope's rate is halved (never below a floor).
While sends succeed it climbs back: quickly up to just below the rate that earned
the 429, then slowly, probing for the ceiling again (about one 429 per minute while
the lower limit lasts, instead of one every second). The window keeps its period and
gets fewer slots, so bursts shrink with the rate.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import replace

from bot.core.ratelimit.backend import Scope, Window

DECREASE = 0.5  # rate multiplier on a 429
FLOOR = 0.1  # lowest rate, as a share of the configured one
FAST = 0.1  # increase per second of successful sending, as a share of the configured rate
SLOW = 1 / 600  # the same near the rate that earned the last 429 (a tenth a minute)
NEAR = 0.75  # "near": this share of that rate (the 429 may come after some overshoot)
MAX_SCOPES = 4096  # per-chat states kept (least recently changed dropped first)


class _Rate:
    """One scope's learned rate (sends per second) and the rate of its last 429."""

    __slots__ = ("ceiling", "decreased_at", "hit", "rate")

    def __init__(self, ceiling: float) -> None:
        self.ceiling = ceiling
        self.rate = ceiling
        self.hit = float("inf")
        self.decreased_at = float("-inf")

    def decrease(self, now: float) -> None:
        self.hit = self.rate
        self.rate = max(self.ceiling * FLOOR, self.rate * DECREASE)
        self.decreased_at = now

    def increase(self) -> None:
        share = FAST if self.rate < self.hit * NEAR else SLOW
        # Per send: rate sends a second, so the rate grows by share * ceiling per second.
        self.rate = min(self.ceiling, self.rate + share * self.ceiling / self.rate)


class AdaptiveRates:
    """The effective window of each scope; scopes never refused by Telegram keep theirs."""

    __slots__ = ("_rates",)

    def __init__(self) -> None:
        self._rates: OrderedDict[str, _Rate] = OrderedDict()

    def effective(self, scope: Scope) -> Scope:
        """``scope`` with as many slots per period as its learned rate allows."""
        state = self._rates.get(scope.key)
        if state is None:
            return scope
        window = scope.window
        limit = max(1, min(window.limit, int(state.rate * window.period + 1e-9)))
        return replace(scope, window=Window(limit, window.period))

    def decrease(self, scope: Scope, admitted_at: float) -> bool:
        """A 429 for a send admitted at ``admitted_at``; False if it was admitted before
        the last decrease (one burst of 429s halves the rate once)."""
        state = self._rates.get(scope.key)
        if state is None:
            state = self._rates[scope.key] = _Rate(scope.window.limit / scope.window.period)
            while len(self._rates) > MAX_SCOPES:
                self._rates.popitem(last=False)
        elif admitted_at < state.decreased_at:
            return False
        state.decrease(time.monotonic())
        self._rates.move_to_end(scope.key)
        return True

    def succeeded(self, scope: Scope) -> None:
        """A send in ``scope`` was answered without a 429."""
        state = self._rates.get(scope.key)
        if state is None:
            return
        state.increase()
        if state.rate >= state.ceiling and not scope.key.startswith(("global", "paid")):
            del self._rates[scope.key]  # back to the configured window: forget the chat

    def rate(self, key: str, ceiling: float) -> float:
        """The learned rate of scope ``key`` (``ceiling`` if it never got a 429)."""
        state = self._rates.get(key)
        return ceiling if state is None else state.rate

    def lowest(self, kind: str, ceiling: float) -> float:
        """The lowest learned rate among the scopes of ``kind`` (``private``, ``group``)."""
        prefix = kind + ":"
        rates = [s.rate for key, s in self._rates.items() if key.startswith(prefix)]
        return min(rates, default=ceiling)
