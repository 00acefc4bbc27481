"""What is made safe the moment an update arrives, before Telegram is told it was received.

Telegram forgets an update once the bot acknowledges it: a webhook's 2xx, or the next
``getUpdates`` whose offset passes it (python-telegram-bot's updater asks again as soon
as the previous batch is in the update queue). A handler, though, runs only when the
update's chat has its turn, which in a busy chat can be many seconds later. An update
that must survive a kill -9 in between (a Stars charge: ``successful_payment`` is sent
once) is stored by an *arrival* a module declares (``Module.arrivals``).

:class:`ArrivalQueue` is the application's update queue: ``put`` (what the updater and
the webhook call before acknowledging) runs every arrival first. An arrival that fails
because the database is away is tried again, with backoff, until it succeeds, so the
update stays unacknowledged (with polling, the next ``getUpdates`` waits; the webhook
answers 503 after :data:`WEBHOOK_PATIENCE` and Telegram delivers it again). Any other
failure is logged and the update goes on to its handler, which meets the same trouble
and reports it (the payer and the admins are told).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from telegram import Update

from bot.core.kernel import get_logger
from bot.core.telegram.outage import database_unreachable

log = get_logger(__name__)

Arrival = Callable[[Update], Awaitable[None]]
# Seconds between tries while the database is away (the last one repeats).
BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)
WEBHOOK_PATIENCE = 10.0  # seconds a webhook call waits before answering 503


class NotSafeYet(Exception):
    """An arrival could not store its update in time (the database is away)."""


class ArrivalQueue(asyncio.Queue[object]):
    """The update queue; every :class:`~telegram.Update` put in it has passed the arrivals."""

    def __init__(self, arrivals: Sequence[Arrival] = (), backoff: Sequence[float] = BACKOFF):
        super().__init__()
        self.arrivals: list[Arrival] = list(arrivals)
        self.backoff = tuple(backoff)

    def add(self, arrival: Arrival) -> None:
        self.arrivals.append(arrival)

    async def put(self, item: object) -> None:
        """Run the arrivals (patiently, see the module docstring), then queue ``item``."""
        if isinstance(item, Update):
            await self.secure(item)
        await super().put(item)

    async def secure(self, update: Update, patience: float | None = None) -> None:
        """Run every arrival on ``update``; :class:`NotSafeYet` if the database stayed away
        for ``patience`` seconds (None: wait as long as it takes)."""
        for arrival in self.arrivals:
            await self._run(arrival, update, patience)

    async def _run(self, arrival: Arrival, update: Update, patience: float | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = None if patience is None else loop.time() + patience
        tries = 0
        while True:
            try:
                await arrival(update)
                return
            except Exception as exc:
                if not database_unreachable(exc):
                    log.error(
                        "arrival failed; the update goes on to its handler",
                        update_id=update.update_id,
                        arrival=getattr(arrival, "__qualname__", repr(arrival)),
                        error=repr(exc)[:300],
                    )
                    return
                pause = self.backoff[min(tries, len(self.backoff) - 1)]
                tries += 1
                if tries == 1 or tries % 10 == 0:
                    log.warning(
                        "database away: update not acknowledged until it is stored",
                        update_id=update.update_id,
                        tries=tries,
                        error=str(exc)[:200],
                    )
                if deadline is not None and loop.time() + pause > deadline:
                    raise NotSafeYet(str(exc)[:200]) from exc
                await asyncio.sleep(pause)
