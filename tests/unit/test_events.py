"""The event bus: order, failure isolation, nesting and the transactional lane."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.core.kernel.events import UOW_MARK, Event, EventBus


@dataclass(frozen=True, slots=True)
class Pinged(Event):
    n: int


@dataclass(frozen=True, slots=True)
class Ponged(Event):
    n: int


class FakeSession:
    """Just the ``info`` dict the bus uses to remember events until commit, marked as a
    unit of work's (``tests/integration/test_unit_of_work.py`` uses the real one)."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {UOW_MARK: True}


async def test_handlers_run_in_subscription_order() -> None:
    """Handlers of one event run one after the other, in the order they subscribed."""
    bus, seen = EventBus(), []
    for name in "abc":

        async def handler(event: Pinged, name: str = name) -> None:
            seen.append((name, event.n))

        bus.subscribe(Pinged, handler)
    await bus.publish(Pinged(1))
    assert seen == [("a", 1), ("b", 1), ("c", 1)]


async def test_failing_handler_is_logged_counted_and_isolated() -> None:
    """A raising handler is logged with its event and counted; others and the publisher go on."""
    failed: list[str] = []
    bus, seen = EventBus(on_failure=failed.append), []

    async def broken(event: Pinged) -> None:
        raise RuntimeError("boom")

    async def fine(event: Pinged) -> None:
        seen.append(event.n)

    bus.subscribe(Pinged, broken)
    bus.subscribe(Pinged, fine)
    with capture_logs() as logs:
        await bus.publish(Pinged(7))
    assert seen == [7]
    assert bus.failures["Pinged"] == 1 and failed == ["Pinged"]
    [entry] = [e for e in logs if e["event"] == "event handler failed"]
    assert entry["event_type"] == "Pinged" and "n=7" in entry["event_data"]
    assert entry["log_level"] == "error" and "broken" in entry["handler"]


async def test_handler_may_publish_further_events() -> None:
    """A handler publishing another event runs that event's handlers before returning."""
    bus, seen = EventBus(), []

    async def on_ping(event: Pinged) -> None:
        seen.append(f"ping{event.n}")
        await bus.publish(Ponged(event.n))
        seen.append("after")

    async def on_pong(event: Ponged) -> None:
        seen.append(f"pong{event.n}")

    bus.subscribe(Pinged, on_ping)
    bus.subscribe(Ponged, on_pong)
    await bus.publish(Pinged(2))
    assert seen == ["ping2", "pong2", "after"]
    assert bus.published == {"Pinged": 1, "Ponged": 1}


async def test_only_the_exact_type_is_delivered() -> None:
    """Subscribing to one event type does not receive other types."""
    bus, seen = EventBus(), []

    async def on_pong(event: Ponged) -> None:
        seen.append(event)

    bus.subscribe(Ponged, on_pong)
    await bus.publish(Pinged(1))
    assert seen == []


async def test_subscribing_during_publish_affects_only_later_publishes() -> None:
    """A handler added while an event is being published does not see that event."""
    bus, seen = EventBus(), []

    async def late(event: Pinged) -> None:
        seen.append(("late", event.n))

    async def first(event: Pinged) -> None:
        seen.append(("first", event.n))
        bus.subscribe(Pinged, late)

    bus.subscribe(Pinged, first)
    await bus.publish(Pinged(1))
    assert seen == [("first", 1)]


async def test_transactional_failure_propagates_and_nothing_is_published() -> None:
    """A failing transactional handler is counted and re-raised, so the cause rolls back."""
    bus, session, seen = EventBus(), FakeSession(), []

    async def tx_broken(event: Pinged, session: Any) -> None:
        raise ValueError("constraint")

    async def after_commit(event: Pinged) -> None:
        seen.append(event)

    bus.subscribe_in_transaction(Pinged, tx_broken)
    bus.subscribe(Pinged, after_commit)
    with capture_logs(), pytest.raises(ValueError):
        await bus.publish_in_transaction(session, Pinged(1))  # type: ignore[arg-type]
    assert bus.failures["Pinged"] == 1 and seen == []


async def test_transactional_events_reach_plain_handlers_after_commit_once() -> None:
    """Events of a transaction (nested too) reach plain handlers after commit, once, in order."""
    bus, session, seen = EventBus(), FakeSession(), []

    async def tx_ping(event: Pinged, session: Any) -> None:
        seen.append(("tx", event.n))
        await bus.publish_in_transaction(session, Ponged(event.n))

    async def plain(event: Event) -> None:
        seen.append((type(event).__name__, 0))

    bus.subscribe_in_transaction(Pinged, tx_ping)
    bus.subscribe(Pinged, plain)
    bus.subscribe(Ponged, plain)
    await bus.publish_in_transaction(session, Pinged(3))  # type: ignore[arg-type]
    assert seen == [("tx", 3)]
    await bus.publish_committed(session)  # type: ignore[arg-type]
    await bus.publish_committed(session)  # type: ignore[arg-type]
    assert seen == [("tx", 3), ("Pinged", 0), ("Ponged", 0)]
