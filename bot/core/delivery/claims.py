"""Claiming due outbox rows and recording what became of them, fenced by a claim token.

A claim selects the next due, unowned rows of the due index (a keyset read, never more
than a few times ``limit`` rows) and marks them with the claiming instance's id, a fresh
token and a lease (``next_attempt_at`` moved forward, renewed while the rows wait; see
``leases.py``). A row held by a live instance is never claimed by another one; the rows
of an instance whose heartbeat went stale are released at once (``leases.release_stale``).

``record`` writes an outcome only where the row still carries the token it was claimed
with, so a late answer from a process presumed dead can never overwrite a newer state.
Attempts are counted when a send is tried, not when a row is claimed: a row that only
waited, or whose lease was lost, keeps its attempts. ``give_back`` returns rows that were
not sent (a stopping sender's) as they were before the claim, due when they were due, so
they keep their place in line instead of queueing behind everything due by now.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery.categories import optional
from bot.core.delivery.claimed import Claimed as Claimed  # re-exported: claims hand these out
from bot.core.delivery.outbox import OutboxMessage, OutboxStatus
from bot.core.delivery.policy import Candidate, DeliveryPolicy
from bot.core.kernel import rowcount
from bot.core.people import User

MUTED = "muted by preferences"
UNCLAIMED: dict[str, Any] = {"claimed_by": None, "claim_token": None}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to a claimed row; ``retry_at`` set means: pending again.
    ``tried`` is False when no send was attempted (the row is not charged an attempt)."""

    row: Claimed
    status: OutboxStatus
    chat_id: int
    at: datetime
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    tried: bool = True


def _candidates(now: datetime, limit: int, exclude: Collection[int], private_only: bool) -> Any:
    o = OutboxMessage
    query = (
        select(o.id, o.chat_id, o.next_attempt_at)
        .where(o.status == OutboxStatus.PENDING, o.next_attempt_at <= now, o.claimed_by.is_(None))
        .order_by(o.priority, o.next_attempt_at, o.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(o.chat_id.not_in(list(exclude)))
    if private_only:
        query = query.where(o.chat_id > 0)
    return query


def _pick(rows: Sequence[Any], limit: int, per_chat: int, held: Mapping[int, int]) -> list[int]:
    """At most ``limit`` ids, at most ``per_chat`` rows per chat counting those held."""
    taken: Counter[int] = Counter(held)
    picked: list[int] = []
    for row_id, chat_id, *_ in rows:
        if taken[chat_id] < per_chat:
            taken[chat_id] += 1
            picked.append(row_id)
            if len(picked) == limit:
                break
    return picked


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    owner: str,
    per_chat: int | None = None,
    held: Mapping[int, int] | None = None,
    private_only: bool = False,
) -> list[Claimed]:
    """Lease up to ``limit`` due, unowned rows in (priority, next_attempt_at, id) order for
    ``owner``, at most ``per_chat`` per chat (counting the ``held`` rows per chat), only
    to private chats if ``private_only``."""
    o = OutboxMessage
    held = held or {}
    per_chat = per_chat or limit
    full = [chat_id for chat_id, n in held.items() if n >= per_chat]
    query = _candidates(now, limit * 2, full, private_only)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    candidates = (await session.execute(query)).all()
    picked = _pick(candidates, limit, per_chat, held)
    if not picked:
        return []
    due = {row_id: at for row_id, _chat, at in candidates}
    token = uuid.uuid4().hex
    claim = (
        update(o)
        .where(
            o.id.in_(picked),
            o.status == OutboxStatus.PENDING,
            o.claimed_by.is_(None),
            o.next_attempt_at <= now,
        )
        .values(claimed_by=owner, claim_token=token, next_attempt_at=now + lease)
        .returning(
            o.id,
            o.key,
            o.chat_id,
            o.user_id,
            o.method,
            o.payload,
            o.attempts,
            o.priority,
            o.category,
        )
        .execution_options(synchronize_session=False)
    )
    rows = sorted((await session.execute(claim)).all(), key=lambda r: (r.priority, r.id))
    return [
        Claimed(
            r.id,
            r.key,
            r.chat_id,
            r.user_id,
            r.method,
            r.payload,
            r.attempts,
            r.category,
            r.priority,
            token,
            owner,
            due[r.id],
        )
        for r in rows
    ]


async def give_back(session: AsyncSession, rows: Sequence[Claimed], now: datetime) -> None:
    """Release ``rows``, claimed and not sent, as they were: unclaimed, due when they were
    due before their claim (``now`` for a row that does not say), attempts untouched. Only
    rows still pending and held under their claim's token are touched (one executemany)."""
    if not rows:
        return
    table = cast(Table, OutboxMessage.__table__)
    statement = (
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.claim_token == bindparam("b_token"),
            table.c.status == OutboxStatus.PENDING.value,
        )
        .values(next_attempt_at=bindparam("b_due"), claimed_by=None, claim_token=None)
    )
    values = [{"b_id": r.id, "b_token": r.token, "b_due": r.due or now} for r in rows]
    await session.execute(statement, values)


async def review(
    session: AsyncSession, policy: DeliveryPolicy, rows: list[Claimed], now: datetime
) -> tuple[list[Claimed], int, int]:
    """Ask ``policy`` about the claimed rows once, at send time; return those to send now.

    Refused rows become skipped ("muted by preferences"); rows the policy holds go back
    to pending, unclaimed, due at ``not_before`` (no attempt is charged). Rows without
    a user and transactional categories are not asked about. Returns the rows to
    send, and how many were muted and held.
    """
    candidates = [
        Candidate(row.id, row.user_id, row.category)
        for row in rows
        if row.user_id is not None and optional(row.category)
    ]
    if not candidates:
        return rows, 0, 0
    decisions = await policy.review(session, candidates, now)
    muted = [row_id for row_id, d in decisions.items() if not d.send]
    held = {
        row_id: d.not_before
        for row_id, d in decisions.items()
        if d.send and d.not_before is not None and d.not_before > now
    }
    if muted:
        o = OutboxMessage
        await update_rows(
            session, o.id.in_(muted), status=OutboxStatus.SKIPPED, last_error=MUTED, **UNCLAIMED
        )
    if held:
        values = [{"id": row_id, "next_attempt_at": at, **UNCLAIMED} for row_id, at in held.items()]
        await session.execute(update(OutboxMessage), values)
    muted_ids = set(muted)
    send = [row for row in rows if row.id not in muted_ids and row.id not in held]
    return send, len(muted_ids), len(held)


async def unreachable_among(session: AsyncSession, user_ids: set[int]) -> set[int]:
    """Which of ``user_ids`` are marked unreachable."""
    if not user_ids:
        return set()
    query = select(User.id).where(User.id.in_(user_ids), User.reachable.is_(False))
    return set((await session.scalars(query)).all())


def _record_statement() -> Any:
    table = cast(Table, OutboxMessage.__table__)
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.claim_token == bindparam("b_token"))
        .values(
            status=bindparam("b_status"),
            chat_id=bindparam("b_chat_id"),
            message_id=bindparam("b_message_id"),
            last_error=bindparam("b_error"),
            sent_at=bindparam("b_sent_at"),
            next_attempt_at=bindparam("b_next"),
            attempts=bindparam("b_attempts"),
            claimed_by=None,
        )
    )


async def record(session: AsyncSession, outcomes: Sequence[Outcome]) -> set[int]:
    """Write every outcome whose claim still holds (one executemany); return the ids of
    the rows whose claim was lost meanwhile (their outcome was not written)."""
    if not outcomes:
        return set()
    values = [
        {
            "b_id": out.row.id,
            "b_token": out.row.token,
            "b_status": out.status.value,
            "b_chat_id": out.chat_id,
            "b_message_id": out.message_id,
            "b_error": out.error,
            "b_sent_at": out.at if out.status == OutboxStatus.SENT else None,
            "b_next": out.retry_at or out.at,
            "b_attempts": out.row.attempts + int(out.tried),
        }
        for out in outcomes
    ]
    await session.execute(_record_statement(), values)
    o = OutboxMessage
    tokens = {out.row.id: out.row.token for out in outcomes}
    now_held = await session.execute(select(o.id, o.claim_token).where(o.id.in_(list(tokens))))
    kept = {row_id for row_id, token in now_held.all() if token == tokens[row_id]}
    return set(tokens) - kept


async def skip_pending_for_chat(session: AsyncSession, chat_id: int, reason: str) -> int:
    """Mark every pending row to ``chat_id`` skipped (its user blocked the bot)."""
    o = OutboxMessage
    return await update_rows(
        session,
        o.chat_id == chat_id,
        o.status == OutboxStatus.PENDING,
        status=OutboxStatus.SKIPPED,
        last_error=reason,
        claimed_by=None,
    )


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> int:
    """Point pending rows of a migrated group at its new id."""
    o = OutboxMessage
    pending = o.status == OutboxStatus.PENDING
    return await update_rows(session, o.chat_id == old_chat_id, pending, chat_id=new_chat_id)


async def update_rows(session: AsyncSession, *where: Any, **values: Any) -> int:
    """Set ``values`` on the outbox rows matching every ``where`` condition, in one UPDATE
    that leaves the session's objects alone; how many rows matched."""
    statement = update(OutboxMessage).where(*where).values(**values)
    return rowcount(await session.execute(statement.execution_options(synchronize_session=False)))
