"""The Telegram 429s and errors of the last hour: this process's counters, sampled every
minute, so that the console can say how many came in the last hour (not since the start)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

from bot.core.kernel import Metrics
from bot.modules.monitoring.service import counter_total

HOUR = 3600.0
EVERY = 60.0


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # time.monotonic()
    too_many: float
    errors: float


class HourWindow:
    """Minute samples of the 429 and error counters over the last hour (and a bit)."""

    __slots__ = ("_samples", "metrics", "started")

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._samples: deque[Sample] = deque(maxlen=int(HOUR / EVERY) + 2)
        self.started = time.monotonic()

    def sample(self) -> Sample:
        return Sample(
            time.monotonic(),
            counter_total(self.metrics.too_many_requests),
            counter_total(self.metrics.telegram_errors),
        )

    def record(self) -> None:
        self._samples.append(self.sample())

    def last_hour(self) -> tuple[int, int, float]:
        """429s and errors within the last hour, and over how many seconds they were counted
        (less than an hour for a process started since)."""
        now = self.sample()
        base = next((s for s in self._samples if s.at >= now.at - HOUR - EVERY), None)
        base = base or Sample(self.started, 0.0, 0.0)
        return int(now.too_many - base.too_many), int(now.errors - base.errors), now.at - base.at

    async def run(self) -> None:
        """Sample every minute until cancelled."""
        while True:
            self.record()
            await asyncio.sleep(EVERY)
