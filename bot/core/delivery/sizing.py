"""How many rows the sender claims: about what it can send in the next second or two.

A claim of a fixed 200 rows strands 200 rows when the process dies and lets a row wait
in memory for minutes when the rate is low. The sender instead keeps about
``OUTBOX_CLAIM_SECONDS`` worth of sends in hand, at the rate it measures over the last
few seconds (sends finished), held between a quarter of the configured global rate
(so that a quiet start ramps up at once) and the configured rate itself;
``OUTBOX_BATCH_SIZE`` caps it. While rows go in Telegram's paid lane (``paid.py``), the
paid rate (``RATE_PAID_PER_SECOND``) is the ceiling instead.
"""

from __future__ import annotations

import math
import time
from collections import deque

from bot.core.kernel import Settings

WINDOW = 5.0  # seconds of finished sends the measured rate looks at
GROWTH = 1.25  # room above the measured rate, so the rate can rise


class ClaimSizer:
    """Measures the send rate and turns it into the number of rows to hold."""

    __slots__ = ("_ceiling", "_finished", "_horizon", "_limit", "_paid", "_paid_at", "_started")

    def __init__(self, settings: Settings) -> None:
        paid = settings.allow_paid_broadcast
        self._ceiling = settings.rate_paid_per_second if paid else settings.rate_global_per_second
        self._paid = settings.rate_paid_per_second
        self._paid_at = -math.inf  # when the last paid-lane send finished
        self._horizon = settings.outbox_claim_seconds
        self._limit = settings.outbox_batch_size
        self._finished: deque[float] = deque()
        self._started = time.monotonic()

    def sent(self, *, paid: bool = False) -> None:
        """A send finished (whatever Telegram answered); ``paid``: in the paid lane."""
        now = time.monotonic()
        self._finished.append(now)
        if paid:
            self._paid_at = now

    def rate(self) -> float:
        """Sends per second over the last few seconds."""
        now = time.monotonic()
        while self._finished and self._finished[0] < now - WINDOW:
            self._finished.popleft()
        span = min(WINDOW, max(1.0, now - self._started))
        return len(self._finished) / span

    def target(self) -> int:
        """Rows to hold: ``horizon`` seconds at the measured rate, within the bounds."""
        ceiling = self._ceiling
        if time.monotonic() - self._paid_at < WINDOW:  # the paid lane is in use
            ceiling = max(ceiling, self._paid)
        rate = min(ceiling, max(self._ceiling / 4, self.rate() * GROWTH))
        return max(1, min(self._limit, math.ceil(rate * self._horizon)))
