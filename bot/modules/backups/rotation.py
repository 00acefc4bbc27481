"""Which backups rotation keeps: the newest of each of the last N days that have a backup,
and the newest of each of the last M ISO weeks that have one (a pure rule, tested alone).

Days and weeks are counted among those that have backups, not on the calendar: a bot that
was down for a month still keeps its last N days of backups when it comes back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")


def _newest_per(items: Sequence[tuple[T, datetime]], *, weeks: bool, keep: int) -> set[int]:
    """Indexes of the newest item in each of the ``keep`` newest buckets."""
    newest: dict[object, int] = {}
    for index, (_, at) in enumerate(items):
        day = at.astimezone(UTC).date()
        key: object = day.isocalendar()[:2] if weeks else day
        if key not in newest or at > items[newest[key]][1]:
            newest[key] = index
    recent = sorted(newest, key=lambda k: items[newest[k]][1], reverse=True)[:keep]
    return {newest[k] for k in recent}


def to_keep(items: Iterable[tuple[T, datetime]], *, daily: int, weekly: int) -> list[T]:
    """The items (each with its time) that rotation keeps, in the order given."""
    listed = list(items)
    kept = _kept(listed, daily, weekly)
    return [item for index, (item, _) in enumerate(listed) if index in kept]


def to_remove(items: Iterable[tuple[T, datetime]], *, daily: int, weekly: int) -> list[T]:
    """The items rotation removes: all but :func:`to_keep`'s."""
    listed = list(items)
    kept = _kept(listed, daily, weekly)
    return [item for index, (item, _) in enumerate(listed) if index not in kept]


def _kept(listed: Sequence[tuple[T, datetime]], daily: int, weekly: int) -> set[int]:
    days = _newest_per(listed, weeks=False, keep=daily)
    return days | _newest_per(listed, weeks=True, keep=weekly)
