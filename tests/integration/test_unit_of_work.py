"""The unit of work: in-transaction subscribers before commit, the others after it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.kernel.build import Kernel, build_kernel
from bot.core.kernel.events import Event
from bot.core.kernel.settings import Settings
from bot.core.people.users import User
from tests.helpers.clocks import NOON
from tests.helpers.factories import register_user
from tests.helpers.owned import own_db


@dataclass(frozen=True, slots=True)
class Joined(Event):
    user_id: int


@pytest.fixture
def kernel(migrated: Settings) -> Kernel:
    kernel = build_kernel(migrated)
    own_db(kernel.db)
    return kernel


async def _count(kernel: Kernel) -> int:
    async with kernel.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_subscribers_hear_of_an_event_only_after_its_commit(kernel: Kernel) -> None:
    """An in-transaction subscriber runs inside the transaction; a plain one runs after the
    commit and sees the row the unit of work wrote; nothing has to publish by hand."""
    seen: list[tuple[str, int]] = []

    async def in_transaction(event: Joined, session: AsyncSession) -> None:
        seen.append(("in transaction", await _count(kernel)))

    async def after_commit(event: Joined) -> None:
        seen.append(("after commit", await _count(kernel)))

    kernel.bus.subscribe_in_transaction(Joined, in_transaction)
    kernel.bus.subscribe(Joined, after_commit)
    async with kernel.uow() as uow:
        await register_user(uow.session, 7, now=NOON)
        await uow.publish(Joined(7))
        assert seen == [("in transaction", 0)]
    assert seen == [("in transaction", 0), ("after commit", 1)]


async def test_a_rolled_back_unit_of_work_publishes_nothing(kernel: Kernel) -> None:
    """An error inside the block rolls the writes back and no subscriber hears of them."""
    seen: list[Event] = []

    async def after_commit(event: Joined) -> None:
        seen.append(event)

    kernel.bus.subscribe(Joined, after_commit)
    with pytest.raises(LookupError):
        async with kernel.uow() as uow:
            await register_user(uow.session, 8, now=NOON)
            await uow.publish(Joined(8))
            raise LookupError("refused")
    assert seen == [] and await _count(kernel) == 0


async def test_an_event_raised_outside_a_unit_of_work_is_refused(kernel: Kernel) -> None:
    """A transactional event on a plain session would never reach its after-commit
    subscribers: it is refused at once instead of being silently dropped."""
    with pytest.raises(RuntimeError, match="outside a unit of work"):
        async with kernel.db.session() as session:
            await kernel.bus.publish_in_transaction(session, Joined(9))
