"""The in-process event bus, and the events that core itself publishes.

Modules announce facts (frozen dataclasses, named in the past tense) and other
modules react, without importing each other. ``publish`` awaits the handlers of
an event one after the other, in subscription order; a failing handler is
logged with the event and counted, and neither the other handlers nor the
publisher are stopped. The bus is in memory: a consequence that must survive a
crash is written in the same transaction as its cause, or queued in the outbox.

For that second case the bus has *transactional* handlers
(``subscribe_in_transaction``): ``publish_in_transaction(session, event)`` runs
them with the publisher's open session, so their writes commit together with
the cause or not at all (a failure is logged, counted and re-raised, rolling the
transaction back). The session must be a unit of work's (``bot/core/kernel/uow.py``):
the event is remembered on it and handed to the ordinary handlers once the
transaction has committed, so they never see a fact that was rolled back, and no
caller can forget to publish it.

A module neither publishes nor subscribes here by hand: it raises its events in a
unit of work (``uow.publish(event)``) and declares its reactions as
``On(EventType, handler, in_transaction=...)`` in its ``Module`` (``bot/core/module.py``),
which the composition root subscribes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel.logging import get_logger

log = get_logger(__name__)

_PENDING = "companion.pending_events"
UOW_MARK = "companion.unit_of_work"  # set on a session opened by a unit of work


class Event:
    """Base of every event; subclasses are ``@dataclass(frozen=True, slots=True)``."""

    __slots__ = ()


E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None]]
TxHandler = Callable[[E, AsyncSession], Awaitable[None]]


class EventBus:
    """Subscribe handlers to event types; publish events to them.

    Handler lists are immutable tuples replaced on subscribe, so a handler that
    subscribes during a publish does not change the publish in progress, and
    ``publish`` needs no copy on its hot path.
    """

    __slots__ = ("_handlers", "_tx_handlers", "failures", "on_failure", "on_publish", "published")

    def __init__(
        self,
        on_failure: Callable[[str], None] | None = None,
        on_publish: Callable[[str], None] | None = None,
    ) -> None:
        """``on_failure`` and ``on_publish`` receive the event's type name (the metrics)."""
        self.on_failure, self.on_publish = on_failure, on_publish
        self._handlers: dict[type[Event], tuple[Handler[Any], ...]] = {}
        self._tx_handlers: dict[type[Event], tuple[TxHandler[Any], ...]] = {}
        self.failures: Counter[str] = Counter()
        self.published: Counter[str] = Counter()

    def subscribe(self, event_type: type[E], handler: Handler[E]) -> None:
        """Call ``handler`` for every published event of exactly ``event_type``."""
        self._handlers[event_type] = (*self._handlers.get(event_type, ()), handler)

    def subscribe_in_transaction(self, event_type: type[E], handler: TxHandler[E]) -> None:
        """Call ``handler(event, session)`` inside the transaction that caused the event."""
        self._tx_handlers[event_type] = (*self._tx_handlers.get(event_type, ()), handler)

    async def publish(self, event: Event) -> None:
        """Run the handlers of ``event`` in order; failures are logged, never raised."""
        name = type(event).__name__
        self.published[name] += 1
        if self.on_publish is not None:
            self.on_publish(name)
        for handler in self._handlers.get(type(event), ()):
            try:
                await handler(event)
            except Exception:
                self._failed(name, event, handler)

    async def publish_in_transaction(self, session: AsyncSession, event: Event) -> None:
        """Run the transactional handlers with ``session``; a failure propagates (rollback).

        The event is kept on the session for :meth:`publish_committed`, which the unit
        of work calls once the transaction committed; outside one it would be lost.
        """
        if not session.info.get(UOW_MARK):
            raise RuntimeError(f"{type(event).__name__} raised outside a unit of work")
        session.info.setdefault(_PENDING, []).append(event)  # causes before consequences
        name = type(event).__name__
        for handler in self._tx_handlers.get(type(event), ()):
            try:
                await handler(event, session)
            except Exception:
                self._failed(name, event, handler)
                raise

    async def publish_committed(self, session: AsyncSession) -> None:
        """After commit (the unit of work calls it): the events recorded on ``session``,
        in order, once."""
        pending: list[Event] = session.info.pop(_PENDING, [])
        for event in pending:
            await self.publish(event)

    def _failed(self, name: str, event: Event, handler: Callable[..., Any]) -> None:
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
class UserZoneChanged(Event):
    """A user chose a time zone (``zone`` None: back to ``TIMEZONE``); published in the
    transaction that stored it, so their per-user times are recomputed with it."""

    user_id: int
    zone: str | None


@dataclass(frozen=True, slots=True)
class UserBecameUnreachable(Event):
    """The user blocked the bot or their account is gone; bulk sends skip them."""

    user_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class UserBecameReachable(Event):
    """A user who had blocked the bot unblocked it (or pressed /start again)."""

    user_id: int


class MessageKind(StrEnum):
    """What an outbox message is, for those who follow its delivery: the part of its key
    before the first ``:`` (``post:12`` is a channel post, ``12`` its subject). The key
    is stored with the message, so the kind needs no column of its own; a message of a
    kind nobody follows is ``OTHER``."""

    POST = "post"  # a channel post: ``post:<post id>``
    REVIEW_CARD = "modcard"  # a review card for moderators: ``modcard:<submission>:<chat>``
    OTHER = ""

    def key(self, *parts: object) -> str:
        """The outbox key of a message of this kind about ``parts`` (``post:12``)."""
        return ":".join((self.value, *map(str, parts)))

    @classmethod
    def parse(cls, key: str) -> tuple[MessageKind, str]:
        """The kind of the message keyed ``key``, and its subject (the rest of the key)."""
        head, colon, rest = key.partition(":")
        try:
            kind = cls(head) if colon else cls.OTHER
        except ValueError:
            kind = cls.OTHER
        return kind, (rest if kind is not cls.OTHER else "")


@dataclass(frozen=True, slots=True)
class MessageOutcome(Event):
    """What became of an outbox message keyed ``key`` to ``chat_id``; ``kind`` and
    ``subject`` are read from the key (:meth:`MessageKind.parse`). Subscribers follow one
    of the two outcomes below."""

    key: str
    chat_id: int
    kind: MessageKind = field(init=False, repr=False, compare=False)
    subject: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind, subject = MessageKind.parse(self.key)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "subject", subject)


@dataclass(frozen=True, slots=True)
class MessageDelivered(MessageOutcome):
    """An outbox message reached Telegram; ``message_id`` is Telegram's id for it."""

    message_id: int


@dataclass(frozen=True, slots=True)
class MessageFailed(MessageOutcome):
    """An outbox message was given up on (400, blocked user, or attempts exhausted)."""

    error: str


@dataclass(frozen=True, slots=True)
class JobFailed(Event):
    """A job run finally failed (all attempts used, or timed out)."""

    job: str
    error: str
    attempts: int


@dataclass(frozen=True, slots=True)
class ChatMigrated(Event):
    """A group became a supergroup: Telegram now knows it as ``new_chat_id``."""

    old_chat_id: int
    new_chat_id: int
