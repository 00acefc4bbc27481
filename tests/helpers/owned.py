"""Databases a test built and does not close itself: the ``_dispose_owned`` fixture in
``tests/conftest.py`` disposes them after every test, passed or failed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.core.context import Services
from bot.core.kernel.db import Database

_OWNED: list[Database] = []


def own(services: Services) -> Services:
    """Have ``services``' database disposed once the test is over."""
    _OWNED.append(services.db)
    return services


def own_db(db: Database) -> Database:
    """Have ``db`` disposed once the test is over."""
    _OWNED.append(db)
    return db


async def dispose_owned() -> None:
    """Dispose every owned database (an engine disposed twice is fine), then forget them."""
    owned, _OWNED[:] = list(_OWNED), []
    for db in owned:
        await db.dispose()


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[Database]:
    """A database for one helper's few statements, disposed when the block ends."""
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()
