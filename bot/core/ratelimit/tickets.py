"""Whether any request of one piece of work went out: so a stop waits only for those that did.

A caller that may have to abandon work (the outbox sender, on a stop) does it inside
:func:`ticket`; the rate limiter marks the ticket when it lets one of the work's requests
go to Telegram, and unmarks it when Telegram refused that request with a 429 (nothing
reached the chat; the retry waits in the limiter like a new send). Work whose ticket is
unmarked has only waited: cancelling it sends nothing, and it can be handed to another
process as it was. Work that has a request on the wire (or answered) is waited for.

The ticket travels in a context variable, so nothing between the caller and the limiter
(PTB's bot, the transport) needs to carry it; a request made outside a ticket marks nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Ticket:
    """How many of one piece of work's requests went to Telegram and were not refused."""

    __slots__ = ("out",)

    def __init__(self) -> None:
        self.out = 0

    @property
    def waiting(self) -> bool:
        """True while nothing of the work has gone out: it may be abandoned as it is."""
        return self.out == 0


_CURRENT: ContextVar[Ticket | None] = ContextVar("companion_ratelimit_ticket", default=None)


@contextmanager
def ticket() -> Iterator[Ticket]:
    """A fresh ticket for the requests made in this block (in this task)."""
    current = Ticket()
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)


def on_the_wire() -> None:
    """The limiter let a request of the current work go to Telegram."""
    current = _CURRENT.get()
    if current is not None:
        current.out += 1


def refused() -> None:
    """Telegram refused that request (429): it did not reach the chat."""
    current = _CURRENT.get()
    if current is not None:
        current.out = max(0, current.out - 1)
