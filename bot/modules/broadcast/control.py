"""Pausing, resuming and cancelling a broadcast, and listing broadcasts: what the chat commands
(/pausebroadcast, /resumebroadcast, /cancelbroadcast) and the console's Broadcasts page call.

A change moves the rows that wait in the outbox and nobody holds yet, in one UPDATE fenced on
``claimed_by IS NULL`` (the sender's claim is fenced the same way, so a row is either taken by
the sender or by the change, never both). Rows already handed to the sender are in flight: they
are sent and recorded as they are. One of them that Telegram asks to retry later comes back to
the queue; a short watch after the change (``settle``) catches it before it is due again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.delivery import OutboxMessage, OutboxStatus
from bot.core.kernel import get_logger, rowcount
from bot.core.people import User, _
from bot.modules.broadcast.models import Broadcast
from bot.modules.broadcast.service import CANCELLED, PAUSED, State, Tally, of_broadcast, tally

log = get_logger(__name__)
SETTLE_EVERY = 0.5  # seconds between two looks at the rows in flight after a change
# The watch each paused or cancelled broadcast has in this process (see settle): a resume
# ends it first, or its next look could pause the rows the resume just put back.
_watches: dict[int, asyncio.Task[Any]] = {}


class Unknown(Exception):
    """No broadcast has this id."""


class NotNow(Exception):
    """The broadcast's state refuses the change (a finished or cancelled one); the message is
    for the admin, in their language."""


@dataclass(frozen=True, slots=True)
class Listed:
    broadcast: Broadcast
    tally: Tally
    started_by: str  # the admin's first name, "" if unknown


@dataclass(frozen=True, slots=True)
class Changed:
    broadcast: Broadcast
    rows: int  # how many waiting rows the change moved
    tally: Tally  # after the change


async def recent(session: AsyncSession, limit: int) -> list[Listed]:
    """The newest ``limit`` broadcasts with their progress and who started them."""
    query = (
        select(Broadcast, User.first_name)
        .outerjoin(User, User.id == Broadcast.created_by)
        .order_by(Broadcast.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [Listed(b, await tally(session, b), name or "") for b, name in rows]


async def one(session: AsyncSession, broadcast_id: int) -> Listed:
    """One broadcast with its progress; :class:`Unknown` if there is none with that id."""
    query = (
        select(Broadcast, User.first_name)
        .outerjoin(User, User.id == Broadcast.created_by)
        .where(Broadcast.id == broadcast_id)
    )
    found = (await session.execute(query)).first()
    if found is None:
        raise Unknown(broadcast_id)
    broadcast, name = found
    return Listed(broadcast, await tally(session, broadcast), name or "")


def _waiting(session: AsyncSession, broadcast_id: int, *statuses: str) -> list[Any]:
    """The rows of the broadcast in ``statuses`` that the sender does not hold."""
    o = OutboxMessage
    return [
        *of_broadcast(session, broadcast_id),
        o.status.in_(statuses),
        o.claimed_by.is_(None),
    ]


async def _move(session: AsyncSession, where: list[Any], **values: Any) -> int:
    statement = update(OutboxMessage).where(*where).values(**values)
    return rowcount(await session.execute(statement.execution_options(synchronize_session=False)))


async def _current(session: AsyncSession, broadcast_id: int) -> tuple[Broadcast, Tally]:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise Unknown(broadcast_id)
    return broadcast, await tally(session, broadcast)


def _refuse_ended(state: State, broadcast_id: int) -> None:
    if state == State.CANCELLED:
        raise NotNow(_("Broadcast #{id} was cancelled.").format(id=broadcast_id))
    if state == State.FINISHED:
        raise NotNow(_("Broadcast #{id} has finished.").format(id=broadcast_id))


async def pause_rows(session: AsyncSession, broadcast_id: int) -> Changed:
    """Hold the broadcast's waiting rows (``paused``); a finished or cancelled one: NotNow."""
    broadcast, before = await _current(session, broadcast_id)
    _refuse_ended(before.state, broadcast_id)
    moved = await _move(
        session, _waiting(session, broadcast_id, OutboxStatus.PENDING), status=PAUSED
    )
    return Changed(broadcast, moved, await tally(session, broadcast))


async def resume_rows(session: AsyncSession, broadcast_id: int, now: datetime) -> Changed:
    """Put the paused rows back in the queue, due now; a finished or cancelled one: NotNow."""
    broadcast, before = await _current(session, broadcast_id)
    _refuse_ended(before.state, broadcast_id)
    moved = await _move(
        session,
        _waiting(session, broadcast_id, PAUSED),
        status=OutboxStatus.PENDING,
        next_attempt_at=now,
    )
    return Changed(broadcast, moved, await tally(session, broadcast))


async def cancel_rows(session: AsyncSession, broadcast_id: int, now: datetime) -> Changed:
    """Take every waiting or paused row off the queue for good (skipped, ``broadcast
    cancelled``); already cancelled or finished: NotNow."""
    broadcast, before = await _current(session, broadcast_id)
    _refuse_ended(before.state, broadcast_id)
    moved = await cancel_waiting(session, broadcast_id, now)
    return Changed(broadcast, moved, await tally(session, broadcast))


async def cancel_waiting(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    """Take the broadcast's waiting and paused rows off the queue for good, whatever its
    state (a stop-and-delete of a finished broadcast cancels nothing); how many."""
    return await _move(
        session,
        _waiting(session, broadcast_id, OutboxStatus.PENDING, PAUSED),
        status=OutboxStatus.SKIPPED,
        last_error=CANCELLED,
        next_attempt_at=now,
    )


# -- the actions, as the chat and the console call them ----------------------------------


async def pause(services: Services, broadcast_id: int, user_id: int) -> Changed:
    async with services.db.session() as session:
        changed = await pause_rows(session, broadcast_id)
    log.info("broadcast paused", broadcast_id=broadcast_id, rows=changed.rows, user_id=user_id)
    watch(services, broadcast_id)
    return changed


async def resume(services: Services, broadcast_id: int, user_id: int) -> Changed:
    await _unwatch(broadcast_id)
    async with services.db.session() as session:
        changed = await resume_rows(session, broadcast_id, services.clock.now())
    log.info("broadcast resumed", broadcast_id=broadcast_id, rows=changed.rows, user_id=user_id)
    return changed


async def cancel(services: Services, broadcast_id: int, user_id: int) -> Changed:
    async with services.db.session() as session:
        changed = await cancel_rows(session, broadcast_id, services.clock.now())
    log.info("broadcast cancelled", broadcast_id=broadcast_id, rows=changed.rows, user_id=user_id)
    watch(services, broadcast_id)
    return changed


def watch(services: Services, broadcast_id: int) -> None:
    """Settle the rows in flight of a paused or cancelled broadcast (see ``settle``)."""
    previous = _watches.pop(broadcast_id, None)
    if previous is not None:
        previous.cancel()
    task = asyncio.create_task(settle(services, broadcast_id), name=f"broadcast-{broadcast_id}")
    _watches[broadcast_id] = task
    task.add_done_callback(lambda done: _forget(broadcast_id, done))


def _forget(broadcast_id: int, task: asyncio.Task[Any]) -> None:
    if _watches.get(broadcast_id) is task:
        del _watches[broadcast_id]


async def _unwatch(broadcast_id: int) -> None:
    """End the broadcast's watch in this process and wait until it has let go."""
    task = _watches.pop(broadcast_id, None)
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def settle(services: Services, broadcast_id: int) -> None:
    """While rows of a paused or cancelled broadcast are in flight, pause or cancel those that
    come back to the queue (a retry after a 429 or a time-out); stops when none is in flight,
    the broadcast is resumed, or after a lease's time (the sender renews no lease then)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.settings.outbox_lease_seconds
    while loop.time() < deadline:
        try:
            if not await _settle_once(services, broadcast_id):
                return
        except Exception as exc:  # a database blip: the next look may succeed
            log.warning("broadcast rows not settled; will retry", error=str(exc)[:200])
        await asyncio.sleep(SETTLE_EVERY)


async def _settle_once(services: Services, broadcast_id: int) -> bool:
    """One look; whether rows are still in flight (and the state still wants watching)."""
    async with services.db.session() as session:
        _, seen = await _current(session, broadcast_id)  # before the move: a row recorded
        if seen.state == State.CANCELLED:  # in between comes back pending and is moved
            await cancel_waiting(session, broadcast_id, services.clock.now())
        elif seen.state == State.PAUSED:
            await _move(
                session, _waiting(session, broadcast_id, OutboxStatus.PENDING), status=PAUSED
            )
        else:
            return False
        return seen.in_flight > 0
