"""What a refund takes back: what is left of the period its charge bought, within the
subscription it was granted in, never more than its days (a property test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.modules.subscriptions.models import StarPayment, Subscription
from bot.modules.subscriptions.refunds import unused_seconds

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
DAY = 86400


def _charge(days: int, granted: int, period_end: int | None) -> StarPayment:
    """A charge of ``days`` granted ``granted`` seconds after START, its period ending
    ``period_end`` seconds after START (None: granted before periods were recorded)."""
    ends = None if period_end is None else START + timedelta(seconds=period_end)
    return StarPayment(
        charge_id="c",
        user_id=1,
        days=days,
        granted_at=START + timedelta(seconds=granted),
        period_ends_at=ends,
    )


def _sub(starts: int, ends: int, status: str = "active") -> Subscription:
    return Subscription(
        user_id=1,
        starts_at=START + timedelta(seconds=starts),
        ends_at=START + timedelta(seconds=ends),
        status=status,
    )


seconds = st.integers(min_value=0, max_value=400 * DAY)


@given(st.integers(1, 365), seconds, seconds, seconds, seconds, seconds)
def test_never_more_than_its_days_nor_what_is_left(
    days: int, granted: int, extra: int, starts: int, ends: int, now: int
) -> None:
    """Between 0 and the charge's days, and never past the end of its own period; all of
    it while its period has not begun, none once the period is over."""
    period_end = granted + days * DAY + extra  # it may follow earlier periods
    row, sub = _charge(days, granted, period_end), _sub(min(starts, granted), ends)
    at = START + timedelta(seconds=now)
    taken = unused_seconds(row, sub, at)
    assert 0 <= taken <= days * DAY
    assert taken <= max(0, period_end - now)
    if sub.ends_at > at and now <= period_end - days * DAY:
        assert taken == days * DAY
    if now >= period_end:
        assert taken == 0


@given(st.integers(1, 365), seconds, seconds, st.sampled_from(["expired", "revoked"]))
def test_nothing_from_another_subscription(days: int, granted: int, now: int, status: str) -> None:
    """A charge granted before the running subscription started (it belonged to one that
    ended), or refunded when no subscription runs, takes nothing back."""
    row = _charge(days, granted, granted + days * DAY)
    at = START + timedelta(seconds=now)
    later = _sub(granted + 1, now + DAY)  # started after the charge's grant
    assert unused_seconds(row, later, at) == 0
    ended = _sub(granted, granted + days * DAY, status)
    assert unused_seconds(row, ended, at) == 0


@given(st.integers(1, 365), seconds, seconds)
def test_a_charge_from_before_periods_takes_its_days(days: int, granted: int, now: int) -> None:
    """A charge granted before periods were recorded takes back its days, as it did."""
    row = _charge(days, granted, None)
    sub = _sub(granted, now + 1)
    assert unused_seconds(row, sub, START + timedelta(seconds=now)) == days * DAY
