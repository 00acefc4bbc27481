"""The unit of work: one transaction, and the events it raised published on commit.

``async with kernel.uow() as uow:`` opens one database transaction. Events raised in
it (``uow.publish(event)``) run their in-transaction subscribers at once, with the same
session, so their writes commit together with the cause or not at all. The ordinary
subscribers hear of the events only after the commit, in the order raised; a
rolled-back unit of work publishes nothing. Nothing has to remember to publish.

This is the one way a module publishes. A service handed only the session (or an
in-transaction subscriber, which is handed the session) reaches the unit of work that
opened it with ``UnitOfWork.of(session)``.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel.db import Database
from bot.core.kernel.events import UOW_MARK, Event, EventBus


class UnitOfWork:
    """One transaction of ``db``; its events reach ``bus`` once it committed."""

    __slots__ = ("_opened", "_session", "bus", "db")

    def __init__(self, db: Database, bus: EventBus) -> None:
        self.db, self.bus = db, bus
        self._opened: AbstractAsyncContextManager[AsyncSession] | None = None
        self._session: AsyncSession | None = None

    @staticmethod
    def of(session: AsyncSession) -> UnitOfWork:
        """The open unit of work whose transaction ``session`` is; RuntimeError for a
        plain session (an event raised there would never reach its after-commit
        subscribers)."""
        uow = session.info.get(UOW_MARK)
        if not isinstance(uow, UnitOfWork) or uow._session is not session:
            raise RuntimeError("event raised outside a unit of work")
        return uow

    @property
    def session(self) -> AsyncSession:
        """The open transaction's session (only inside the ``async with`` block)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with uow()`")
        return self._session

    async def publish(self, event: Event) -> None:
        """Raise ``event`` in this transaction: in-transaction subscribers now, others on commit."""
        await self.bus.publish_in_transaction(self.session, event)

    async def __aenter__(self) -> UnitOfWork:
        self._opened = self.db.session()
        self._session = await self._opened.__aenter__()
        self._session.info[UOW_MARK] = self
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._opened is not None and self._session is not None
        session, self._session = self._session, None
        session.info.pop(UOW_MARK, None)
        await self._opened.__aexit__(kind, error, trace)  # commit, or roll back and re-raise
        if error is None:
            await self.bus.publish_committed(session)
