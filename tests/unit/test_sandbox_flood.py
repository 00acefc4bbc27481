"""The sandbox's flood model: sliding windows per scope, retry_after, early-retry penalty."""

from __future__ import annotations

from bot.sandbox.flood import FloodGate, FloodLimits, SlidingWindow


def test_private_chat_burst_then_429() -> None:
    """Three messages to one chat pass at once, the fourth waits about a window."""
    gate = FloodGate(FloodLimits())
    assert [gate.check(5, now=10.0) for _ in range(3)] == [0, 0, 0]
    assert gate.check(5, now=10.1) == 3
    assert gate.rejected["private"] == 1


def test_global_window() -> None:
    """31 sends in one second to different chats: the 31st is refused."""
    gate = FloodGate(FloodLimits(private=None))
    results = [gate.check(chat, now=1.0 + chat / 100) for chat in range(1, 32)]
    assert results[:30] == [0] * 30 and results[30] >= 1


def test_early_retry_prolongs() -> None:
    """Retrying while closed keeps the scope closed at least a second more."""
    gate = FloodGate(FloodLimits(total=None, group=SlidingWindow(1, 10.0)))
    assert gate.check(-100, now=0.0) == 0
    assert gate.check(-100, now=9.5) == 1  # closed until 10.0
    assert gate.check(-100, now=9.8) >= 1  # an early retry...
    assert gate.check(-100, now=10.2) >= 1  # ...keeps it closed past 10.0


def test_lifted_limits_pass_everything() -> None:
    """A lifted gate never answers 429."""
    gate = FloodGate(FloodLimits.lifted())
    assert all(gate.check(1, now=0.0) == 0 for _ in range(1000))
