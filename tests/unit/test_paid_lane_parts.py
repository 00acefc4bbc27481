"""The paid lane's parts outside the broadcast module: the sandbox counts a paid send against
its paid total, not the free one; the sender claims for the paid rate while paid sends go."""

from __future__ import annotations

from pathlib import Path

from bot.core.delivery.sizing import ClaimSizer
from bot.sandbox.flood import FloodGate, FloodLimits, SlidingWindow
from tests.conftest import make_settings


def test_a_paid_send_passes_a_full_free_total() -> None:
    """30 free sends fill the free total: a 31st is refused, a paid one to another chat goes,
    and 1,000 paid sends in the second fill the paid total; the chat's own limit still holds."""
    gate = FloodGate(FloodLimits())
    now = 100.0
    assert all(gate.check(chat, now) == 0 for chat in range(1, 31))
    assert gate.check(31, now) > 0
    assert gate.check(32, now, paid=True) == 0
    assert all(gate.check(chat, now, paid=True) == 0 for chat in range(1000, 1999))
    assert gate.check(2000, now, paid=True) > 0
    assert gate.rejected == {"total": 1, "private": 0, "group": 0, "paid": 1}
    one_chat = FloodGate(FloodLimits(private=SlidingWindow(1, 1.0)))
    assert one_chat.check(5, now, paid=True) == 0
    assert one_chat.check(5, now, paid=True) > 0  # the chat's window, paid or not


def test_lifted_limits_lift_the_paid_total_too() -> None:
    gate = FloodGate(FloodLimits.lifted())
    assert all(gate.check(chat, 1.0, paid=True) == 0 for chat in range(1, 3000))


def test_claims_follow_the_paid_rate_while_paid_sends_go(tmp_path: Path) -> None:
    """At a free 30/s the sender holds 2 s of sends (60 rows) however fast it sends; once
    sends go in the paid lane, it holds up to OUTBOX_BATCH_SIZE (200)."""
    settings = make_settings(tmp_path, rate_global_per_second=30.0, outbox_claim_seconds=2.0)
    free, paid = ClaimSizer(settings), ClaimSizer(settings)
    for _ in range(500):
        free.sent()
        paid.sent(paid=True)
    assert free.target() == 60
    assert paid.target() == 200
