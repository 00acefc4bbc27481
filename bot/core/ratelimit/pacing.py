"""Bulk sends spread evenly over a window instead of in bursts.

A sliding window refilled by a crowd of waiting bulk sends stays bursty: its slots
are taken in the same instant and all free up a window later, so a reply that comes
in between waits for most of a window (a second for the global limit). Spacing
admissions ``period / limit`` apart (a GCRA with a small burst) frees a slot every
``1 / rate`` seconds. Every admission counts, but only bulk sends wait for their turn:
replies go first and bulk fills what they leave, so a reply waits about one interval.
The throughput is the window's: the spacing only decides when inside it sends go.
"""

from __future__ import annotations

from bot.core.ratelimit.backend import Scope

BURST_SHARE = 0.1  # bulk sends that may go at once, as a share of the window's limit


class Pacer:
    """The theoretical arrival time of the next send, per total scope (global or paid)."""

    __slots__ = ("_due",)

    def __init__(self) -> None:
        self._due: dict[str, float] = {}

    @staticmethod
    def _spacing(scope: Scope) -> tuple[float, float]:
        window = scope.window
        interval = window.period / window.limit
        burst = max(1, int(window.limit * BURST_SHARE))
        return interval, (burst - 1) * interval

    def wait(self, scope: Scope, now: float) -> float:
        """Seconds until the next bulk send in ``scope`` may go (0: now)."""
        _interval, tolerance = self._spacing(scope)
        return max(0.0, self._due.get(scope.key, now) - tolerance - now)

    def took(self, scope: Scope, now: float) -> None:
        """A send in ``scope`` was admitted at ``now``."""
        interval, _tolerance = self._spacing(scope)
        self._due[scope.key] = max(self._due.get(scope.key, now), now) + interval
