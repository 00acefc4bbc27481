"""Event bus throughput: events/s published to 1 and to 10 no-op async handlers,
side by side with blinker's ``Signal.send_async`` in the same run.

The two do slightly different work: our bus isolates each handler (try/except,
failure logging and counting) and counts published events; blinker lets the first
exception escape. Run: ``python -m benchmarks events``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from blinker import Signal

from bot.core.kernel.events import Event, EventBus

ROUNDS = 5
EVENTS = {1: 100_000, 10: 20_000}


@dataclass(frozen=True, slots=True)
class Ticked(Event):
    n: int


async def _noop_event(event: Ticked) -> None:
    return None


def _sync_wrapper(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """blinker's documented hook for sync receivers in send_async (none here)."""

    async def inner(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return inner


async def _ours(handlers: int, count: int) -> float:
    bus = EventBus()
    for _ in range(handlers):
        bus.subscribe(Ticked, _noop_event)
    event = Ticked(1)
    start = time.perf_counter()
    for _ in range(count):
        await bus.publish(event)
    return count / (time.perf_counter() - start)


async def _blinker(handlers: int, count: int) -> float:
    signal = Signal()
    receivers = [_noop_receiver() for _ in range(handlers)]  # blinker dedups by identity
    for receiver in receivers:
        signal.connect(receiver, weak=False)
    event = Ticked(1)
    start = time.perf_counter()
    for _ in range(count):
        await signal.send_async(None, _sync_wrapper=_sync_wrapper, event=event)
    return count / (time.perf_counter() - start)


def _noop_receiver() -> Callable[..., Awaitable[None]]:
    """A distinct no-op async receiver (the same function twice would be connected once)."""

    async def receiver(sender: Any, **kwargs: Any) -> None:
        return None

    return receiver


async def main() -> None:
    print(f"best of {ROUNDS} rounds, events/s (higher is better)")
    print(f"{'handlers':>8} | {'companion EventBus':>18} | {'blinker send_async':>18} | ratio")
    for handlers, count in EVENTS.items():
        ours = max([await _ours(handlers, count) for _ in range(ROUNDS)])
        theirs = max([await _blinker(handlers, count) for _ in range(ROUNDS)])
        print(f"{handlers:>8} | {ours:>18,.0f} | {theirs:>18,.0f} | {ours / theirs:.2f}x")
