"""Paid broadcasts: a broadcast's waiting copies sent in Telegram's paid lane, within a Stars cap.

Telegram lets a bot send up to 1,000 messages a second with ``allow_paid_broadcast`` for 0.1
Star a message beyond the free 30 a second, from the bot's Stars balance. ``/paidbroadcast <id>
<stars>`` shows the estimate first (:func:`estimate`: the copies waiting, the time at the free
rate and with the paid lane, the cost) with the bot's balance; confirming stores the cap
(:func:`confirm`, once: a second confirm changes nothing).

The sender asks :class:`BroadcastPaidLane` about every batch it claims: the copies of a
broadcast whose lane is active go paid as long as the cap covers them, each counted at 0.1
Star (100 millistars) in the claim's transaction, in one conditional UPDATE that never lets
``spent`` pass the cap. Every paid copy is counted, though Telegram charges only those beyond
the free 30 a second: the share it does not charge cannot be measured from here (it depends
on what else the bot sends in the same second), so the count is an upper bound of the charge
and the cap holds whatever the share. When the cap cannot cover a copy any more, the lane is
spent and the broadcast's other copies go at the free rate; if Telegram refuses a paid send
because the bot's balance is too low, the copy is sent free at once, its 0.1 Star given back,
and the lane is refused.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import Claimed, PaidLane
from bot.core.kernel import SERIAL_MAX, Database, ascii_int, get_logger, insert_ignoring, rowcount
from bot.modules.broadcast.paid_models import BroadcastPaid

log = get_logger(__name__)
MILLI = 1000  # millistars in a Star
PER_COPY = 100  # millistars a paid copy is counted at: 0.1 Star
MAX_CAP = 1_000_000  # Stars; a cap above this is refused as a typo
ACTIVE, SPENT, REFUSED = "active", "spent", "refused"
KEY_PREFIX = "broadcast:"


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a cap buys for the copies waiting: how many go paid, how long the broadcast takes
    at the free rate and with the paid lane, and its cost in millistars: ``charge`` as
    Telegram charges it (the paid copies beyond the free rate's share of the same seconds),
    ``counted`` as the cap counts it (every paid copy at 0.1 Star)."""

    waiting: int
    paid_copies: int
    free_seconds: float
    paid_seconds: float
    charge: int
    counted: int


def estimate(waiting: int, cap_stars: int, free_rate: float, paid_rate: float) -> Estimate:
    """For ``waiting`` copies and a cap of ``cap_stars``: the first ``cap * 10`` copies go in
    the paid lane at ``paid_rate`` a second, the rest at ``free_rate``. Of ``n`` copies sent
    paid over ``n / paid_rate`` seconds, ``free_rate`` a second would have been free, so
    Telegram charges ``n * (1 - free_rate / paid_rate)`` of them (rounded up); the cap counts
    all ``n``."""
    waiting, cap_stars = max(0, waiting), max(0, cap_stars)
    paid_copies = min(waiting, cap_stars * MILLI // PER_COPY)
    free_rate = max(free_rate, 1e-9)
    paid_rate = max(paid_rate, free_rate)
    free_seconds = waiting / free_rate
    paid_seconds = paid_copies / paid_rate + (waiting - paid_copies) / free_rate
    charged_share = 1 - Fraction(free_rate) / Fraction(paid_rate)
    charge = math.ceil(paid_copies * PER_COPY * charged_share)
    return Estimate(
        waiting, paid_copies, free_seconds, paid_seconds, charge, paid_copies * PER_COPY
    )


def stars(millistars: int) -> str:
    """``1234`` millistars -> ``"1.3"``: Stars to a tenth, rounded up (never understated)."""
    tenths = math.ceil(millistars / PER_COPY)
    whole, tenth = divmod(tenths, 10)
    return f"{whole}.{tenth}" if tenth else str(whole)


def parse_args(words: Sequence[str]) -> tuple[int, int] | None:
    """``<id> <stars>`` as two positive numbers (the cap at most :data:`MAX_CAP`), else None."""
    if len(words) != 2:
        return None
    broadcast_id = ascii_int(words[0], 1, SERIAL_MAX)
    cap = ascii_int(words[1], 1, MAX_CAP)
    if broadcast_id is None or cap is None:
        return None
    return broadcast_id, cap


async def lane_of(session: AsyncSession, broadcast_id: int) -> BroadcastPaid | None:
    return await session.get(BroadcastPaid, broadcast_id)


async def confirm(
    session: AsyncSession, broadcast_id: int, cap_stars: int, admin_id: int, now: datetime
) -> bool:
    """Open the broadcast's paid lane with ``cap_stars``; False if it has one already (the
    first confirm stands: a second press, or another admin's, changes nothing)."""
    insert = insert_ignoring(session, BroadcastPaid, index_elements=["broadcast_id"]).values(
        broadcast_id=broadcast_id,
        cap_stars=cap_stars,
        spent_millistars=0,
        state=ACTIVE,
        created_at=now,
        confirmed_by=admin_id,
    )
    return bool(rowcount(await session.execute(insert)))


def broadcast_of(key: str) -> int | None:
    """The broadcast id of an outbox key ``broadcast:<id>:<user>``, None for other keys."""
    if not key.startswith(KEY_PREFIX):
        return None
    return ascii_int(key[len(KEY_PREFIX) :].split(":", 1)[0], 1, SERIAL_MAX)


async def admit(session: AsyncSession, rows: Sequence[Claimed]) -> set[int]:
    """The ids of ``rows`` to send paid: per broadcast with an active lane, as many of its
    rows (first claimed first) as its cap still covers, counted at 0.1 Star each."""
    by_broadcast: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        broadcast_id = broadcast_of(row.key)
        if broadcast_id is not None:
            by_broadcast[broadcast_id].append(row.id)
    if not by_broadcast:
        return set()
    p = BroadcastPaid
    query = select(p.broadcast_id, p.cap_stars, p.spent_millistars).where(
        p.broadcast_id.in_(list(by_broadcast)), p.state == ACTIVE
    )
    admitted: set[int] = set()
    for broadcast_id, cap, spent in (await session.execute(query)).all():
        wanted = by_broadcast[broadcast_id]
        take = min(len(wanted), max(0, cap * MILLI - spent) // PER_COPY)
        cost = take * PER_COPY
        full = take < len(wanted) or spent + cost + PER_COPY > cap * MILLI
        values: dict[str, object] = {"spent_millistars": p.spent_millistars + cost}
        if full:
            values["state"] = SPENT
        counted = await session.execute(
            update(p)
            .where(
                p.broadcast_id == broadcast_id,
                p.state == ACTIVE,
                p.spent_millistars + cost <= p.cap_stars * MILLI,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if rowcount(counted) and take:
            admitted.update(wanted[:take])
        if full and rowcount(counted):
            log.info("paid broadcast reached its cap", broadcast_id=broadcast_id, cap=cap)
    return admitted


async def refused(session: AsyncSession, broadcast_id: int) -> None:
    """Telegram refused a paid copy (balance too low): it is not charged, the lane stops."""
    p = BroadcastPaid
    await session.execute(
        update(p)
        .where(p.broadcast_id == broadcast_id, p.spent_millistars >= PER_COPY)
        .values(spent_millistars=p.spent_millistars - PER_COPY)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(p)
        .where(p.broadcast_id == broadcast_id, p.state == ACTIVE)
        .values(state=REFUSED)
        .execution_options(synchronize_session=False)
    )


class BroadcastPaidLane(PaidLane):
    """The sender's paid lane: broadcasts whose admin confirmed a cap (see the module doc)."""

    __slots__ = ("db",)

    def __init__(self, db: Database) -> None:
        self.db = db

    async def admit(
        self, session: AsyncSession, rows: Sequence[Claimed], now: datetime
    ) -> set[int]:
        return await admit(session, rows)

    async def refused(self, row: Claimed) -> None:
        broadcast_id = broadcast_of(row.key)
        if broadcast_id is None:
            return
        log.warning("paid broadcast refused: the bot's Stars balance is too low", key=row.key)
        try:
            async with self.db.session() as session:
                await refused(session, broadcast_id)
        except Exception as exc:  # the copy goes free anyway; the next refusal tries again
            log.warning("paid broadcast refusal not recorded", error=str(exc)[:200])
