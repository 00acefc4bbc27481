"""Retention: deleting old rows in short batches, and the hook modules use to purge theirs.

``cleanup.daily`` owns the schedule but not the tables: a module that keeps
expiring records (invite links, one-time tokens, ...) registers a purger in
``services.purgers``, so cleanup never imports another module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import InstrumentedAttribute

from bot.core.kernel.db import Database, rowcount


@dataclass(frozen=True, slots=True)
class Purged:
    """What one batched delete removed, and in how many transactions."""

    rows: int
    batches: int


async def delete_in_batches(
    db: Database,
    id_column: InstrumentedAttribute[Any],
    *where: ColumnElement[bool],
    batch_size: int,
) -> Purged:
    """``DELETE ... WHERE id IN (SELECT id ... LIMIT n)``, one short transaction per batch.

    Each batch commits before the next starts, so writers of the bot (the
    outbox sender, handlers) never wait behind one long delete.
    """
    table = id_column.class_
    rows = batches = 0
    while True:
        chosen = select(id_column).where(*where).limit(batch_size).scalar_subquery()
        async with db.session() as session:
            result = await session.execute(delete(table).where(id_column.in_(chosen)))
        removed = rowcount(result)
        rows, batches = rows + removed, batches + 1
        if removed < batch_size:
            return Purged(rows, batches)


@dataclass(frozen=True, slots=True)
class PurgeRequest:
    """What a purger is given: the time and the batch size to delete with."""

    db: Database
    now: datetime
    batch_size: int


# A purger removes its module's expired records; returns how many it removed.
Purger = Callable[[PurgeRequest], Awaitable[int]]


class PurgerRegistry:
    """Purgers by name (``"subscriptions.invite_links"``), run by ``cleanup.daily``."""

    __slots__ = ("_purgers",)

    def __init__(self) -> None:
        self._purgers: dict[str, Purger] = {}

    def add(self, name: str, purger: Purger) -> None:
        if name in self._purgers:
            raise ValueError(f"purger {name!r} registered twice")
        self._purgers[name] = purger

    def __iter__(self) -> Iterator[tuple[str, Purger]]:
        return iter(self._purgers.items())

    def __len__(self) -> int:
        return len(self._purgers)
