"""The in-process event bus, and the events that core itself publishes.

Modules announce facts (frozen dataclasses, named in the past tense) and other
modules react, without importing each other. ``publish`` awaits the handlers of
an event one after the other, in subscription order; a failing handler is
logged with the event and counted, and neither the other handlers nor the
publisher are stopped. The bus is in memory: a consequence that must survive a
crash is written in the same transaction as its cause, or queued in the outbox.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.core.logging import get_logger

log = get_logger(__name__)


class Event:
    """Base of every event; subclasses are ``@dataclass(frozen=True, slots=True)``."""

    __slots__ = ()


E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None]]


class EventBus:
    """Subscribe handlers to event types; publish events to them."""

    __slots__ = ("_handlers", "failures", "on_failure", "published")

    def __init__(self, on_failure: Callable[[str], None] | None = None) -> None:
        self.on_failure = on_failure
        self._handlers: defaultdict[type[Event], list[Handler[Any]]] = defaultdict(list)
        self.failures: Counter[str] = Counter()
        self.published: Counter[str] = Counter()

    def subscribe(self, event_type: type[E], handler: Handler[E]) -> None:
        """Call ``handler`` for every published event of exactly ``event_type``."""
        self._handlers[event_type].append(handler)

    def handlers(self, event_type: type[Event]) -> tuple[Handler[Any], ...]:
        return tuple(self._handlers.get(event_type, ()))

    async def publish(self, event: Event) -> None:
        """Run the handlers of ``event`` in order; failures are logged, never raised."""
        name = type(event).__name__
        self.published[name] += 1
        for handler in self._handlers.get(type(event), ()):
            try:
                await handler(event)
            except Exception:
                self.failures[name] += 1
                if self.on_failure is not None:
                    self.on_failure(name)
                log.exception(
                    "event handler failed",
                    event_type=name,
                    event_data=repr(event),
                    handler=getattr(handler, "__qualname__", repr(handler)),
                )


# Events published by core itself. Module events live in ``bot/modules/<m>/events.py``.


@dataclass(frozen=True, slots=True)
class UserRegistered(Event):
    """A user pressed /start for the first time."""

    user_id: int
    referrer_id: int | None


@dataclass(frozen=True, slots=True)
class UserBecameUnreachable(Event):
    """The user blocked the bot or their account is gone; bulk sends skip them."""

    user_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class UserBecameReachable(Event):
    """A user who had blocked the bot unblocked it (or pressed /start again)."""

    user_id: int


@dataclass(frozen=True, slots=True)
class MessageDelivered(Event):
    """An outbox message reached Telegram; ``message_id`` is Telegram's id for it."""

    key: str
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class MessageFailed(Event):
    """An outbox message was given up on (400, blocked user, or attempts exhausted)."""

    key: str
    chat_id: int
    error: str


@dataclass(frozen=True, slots=True)
class JobFailed(Event):
    """A job run finally failed (all attempts used, or timed out)."""

    job: str
    error: str
    attempts: int
