"""aiosqlite with one trip to its thread per statement instead of four.

aiosqlite runs every sqlite3 call on the connection's own thread; SQLAlchemy's adapter makes
four such calls per statement (open a cursor, execute, fetch the rows, close the cursor),
each a hand-over to that thread and a wake-up of the event loop. Under load a hop costs a
quarter of a millisecond or more, which was most of a job run's cost. This cursor does the
four steps in one function on that thread and keeps the rows, the description, the row
count and the last row id it returns. Server-side (streaming) cursors are unchanged.
Used by :class:`bot.core.kernel.db.Database` for ``sqlite+aiosqlite`` URLs.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Meta = tuple[Any, int, int | None]  # description, rowcount, lastrowid


def _execute_on_thread(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[list[Any], Meta]:
    """Runs on aiosqlite's thread: the whole statement, the cursor closed before returning."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, (cursor.description, cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statements each cost one hop to aiosqlite's thread."""

    __slots__ = ("_meta",)

    def __init__(self, adapt_connection: Any) -> None:  # no driver cursor is opened here
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows: collections.deque[Any] = collections.deque()
        self._meta: Meta = (None, -1, None)

    @property
    def description(self) -> Any:
        return self._meta[0]

    @property
    def rowcount(self) -> int:
        return self._meta[1]

    @property
    def lastrowid(self) -> Any:
        return self._meta[2]

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            await_(self._run_async(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run_async(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            driver = self._connection
            rows, self._meta = await driver._execute(
                _execute_on_thread, driver._conn, operation, parameters, many
            )
        self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver cursor was closed on its thread."""

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        """sqlite3 ignores input sizes."""


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module handed to ``create_async_engine(module=...)``."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        plain = super().connect(*arg, **kw)
        return OneHopConnection(self, plain._connection)


def one_hop_dbapi() -> OneHopDbapi:
    import aiosqlite

    return OneHopDbapi(aiosqlite, sqlite3)
