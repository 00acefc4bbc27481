"""Which database errors are an outage worth waiting out, and which are not."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from bot.core.telegram.outage import database_unreachable


def _wrapped(kind: type[Exception], message: str) -> Exception:
    return kind("SELECT 1", {}, sqlite3.OperationalError(message))


def test_locked_or_unreachable_database_is_an_outage() -> None:
    """A locked SQLite file, a refused connection, a server restarting: try again soon."""
    assert database_unreachable(_wrapped(OperationalError, "database is locked"))
    assert database_unreachable(_wrapped(OperationalError, "connection refused"))
    assert database_unreachable(_wrapped(OperationalError, "the database system is starting up"))
    assert database_unreachable(ConnectionRefusedError())


def test_bad_schema_or_data_is_not_an_outage() -> None:
    """A missing table, a broken constraint, bad SQL fail the same way the next time."""
    assert not database_unreachable(_wrapped(OperationalError, "no such table: transactions"))
    assert not database_unreachable(_wrapped(ProgrammingError, "relation does not exist"))
    assert not database_unreachable(_wrapped(IntegrityError, "UNIQUE constraint failed"))
    assert not database_unreachable(ValueError("nope"))
