"""Whether the work in progress (one update's handling) has already committed a write.

An update whose handler failed because the database stopped answering can be handled
again only if nothing of its first try is in the database: a handler that committed its
first transaction (a post stored) and failed on its second (the post queued) would, run
again, do the first part twice (two posts). The pipeline opens a count per update with
:func:`counting_commits`; every :meth:`Database.session` transaction that wrote something
and committed adds one (the unit of work's included); the retry asks :func:`committed`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.sql.elements import TextClause

WROTE = "companion.wrote"  # Session.info: this transaction wrote something


class Commits:
    """The transactions with writes committed since the count was opened."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


_COMMITS: ContextVar[Commits | None] = ContextVar("companion_commits", default=None)


@contextmanager
def counting_commits() -> Iterator[Commits]:
    """Count the committed writes of the code run inside (tasks it starts share the count)."""
    commits = Commits()
    token = _COMMITS.set(commits)
    try:
        yield commits
    finally:
        _COMMITS.reset(token)


def committed() -> int:
    """Committed writes in the current count (0 outside any)."""
    commits = _COMMITS.get()
    return 0 if commits is None else commits.count


def note_commit(session: Session) -> None:
    """``session``'s transaction committed: one more for the current count if it wrote."""
    commits = _COMMITS.get()
    if session.info.pop(WROTE, False) and commits is not None:
        commits.count += 1


class TrackedSession(Session):
    """A session that notes when its transaction writes: a flush of changed objects, or a
    statement that is not a SELECT (an INSERT, UPDATE or DELETE; raw SQL unless it starts
    with SELECT, to be safe)."""


@event.listens_for(TrackedSession, "do_orm_execute")
def _statement(state: ORMExecuteState) -> None:
    statement = state.statement
    reads = state.is_select or (
        isinstance(statement, TextClause) and statement.text.lstrip()[:6].upper() == "SELECT"
    )
    if not reads:
        state.session.info[WROTE] = True


@event.listens_for(TrackedSession, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    session.info[WROTE] = True


@event.listens_for(TrackedSession, "after_rollback")
def _rolled_back(session: Session, *_args: Any) -> None:
    session.info.pop(WROTE, None)
